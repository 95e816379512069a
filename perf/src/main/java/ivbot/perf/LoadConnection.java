package ivbot.perf;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One client connection of the harness, with the logical users assigned to it. Requests are pipelined:
 * up to {@code maxInFlight} are written without waiting for replies; past that they queue here (counted
 * as backpressure) and go out as replies free slots, their latency still running from their intended
 * send time. A closed connection fails its in-flight requests ({@code connection_closed}) and is
 * reconnected on demand; a failed connect fails the queued requests ({@code connect_error}) and is not
 * retried for {@link #RECONNECT_BACKOFF_NS}.
 * <p>
 * Threading: every field is confined to the connection's one {@link EventLoop}, which all channels of
 * this connection are registered with; the public entry points ({@link #open()}, {@link #submit},
 * {@link #startClosedLoop}, {@link #abort()}) may be called from any thread and hop onto that loop. Reply
 * buffers are released by the subclasses' handlers ({@code SimpleChannelInboundHandler}); request
 * buffers pass to the transport, which releases them once written.
 */
abstract class LoadConnection
{
    /** How long after a failed connect the next attempt waits. */
    static final long RECONNECT_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How long a connect may take. */
    static final int CONNECT_TIMEOUT_MS = 5000;
    /** Flushes coalesced while a read is in progress (Netty's {@code FlushConsolidationHandler}). */
    static final int FLUSH_CONSOLIDATION_LIMIT = 256;

    /** Pipeline handler names. */
    static final String FLUSH_CONSOLIDATION = "flushConsolidation";
    static final String REPLY = "reply";

    private final EventLoop eventLoop;
    private final Bootstrap bootstrap;
    private final int index;
    private final int connections;
    private final boolean unique;
    private final int maxInFlight;
    private final List<String> queries;
    private final ZipfSampler sampler;
    private final SplittableRandom random;
    private final UserSessions users;
    private final ArrayDeque<LoadRequest> pending = new ArrayDeque<>();

    private Channel channel;
    private boolean connecting;
    private long reconnectNotBeforeNs;
    private long nextRequestId = 1;
    private boolean closedLoopActive;
    private long closedLoopEndNs;

    /**
     * @param index        the connection's index, which also varies its random seed.
     * @param eventLoop    the loop all its channels are registered with.
     * @param channelClass the socket channel type of that loop's transport.
     * @param config       the concluded settings.
     * @param users        how many logical users it carries.
     * @param queries      the query texts.
     * @param sampler      draws query indexes; shared, immutable.
     */
    LoadConnection(
        final int index,
        final EventLoop eventLoop,
        final Class<? extends Channel> channelClass,
        final BenchConfig config,
        final int users,
        final List<String> queries,
        final ZipfSampler sampler)
    {
        if (sampler.size() != queries.size())
        {
            throw new IllegalArgumentException("sampler.size=" + sampler.size() + " (expected: " + queries.size() + ")");
        }
        this.eventLoop = eventLoop;
        this.index = index;
        this.connections = config.connections;
        this.unique = config.unique;
        this.maxInFlight = config.maxInFlight;
        this.queries = queries;
        this.sampler = sampler;
        this.random = new SplittableRandom(config.seed + index * 0x9E3779B97F4A7C15L);
        this.users = new UserSessions(users, config.turnsPerSession);
        this.bootstrap = new Bootstrap()
            .group(eventLoop)
            .channel(channelClass)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
            .remoteAddress(config.host, config.port)
            .handler(new ChannelInitializer<Channel>()
            {
                @Override
                protected void initChannel(final Channel ch)
                {
                    ch.pipeline().addLast(FLUSH_CONSOLIDATION, new FlushConsolidationHandler(FLUSH_CONSOLIDATION_LIMIT));
                    initPipeline(ch.pipeline());
                }
            });
    }

    /**
     * Adds the protocol's codecs and a reply handler (named {@link #REPLY}) that calls
     * {@link #completeReply}, {@link #completeError} and {@link #onClosed}. Called on the event loop.
     *
     * @param pipeline a new channel's pipeline.
     */
    protected abstract void initPipeline(ChannelPipeline pipeline);

    /**
     * Writes (without flushing) one request and remembers it as in flight. Called on the event loop.
     *
     * @param ch      the connected channel.
     * @param request the request.
     */
    protected abstract void writeRequest(Channel ch, LoadRequest request);

    /**
     * @return requests written and not yet answered.
     */
    protected abstract int inFlight();

    /**
     * Forgets every in-flight request.
     *
     * @param into receives them.
     */
    protected abstract void takeInFlight(List<LoadRequest> into);

    /**
     * @return the number of logical users this connection carries.
     */
    final int users()
    {
        return users.size();
    }

    /**
     * Connects. May be called from any thread.
     *
     * @return completes when connected, or fails with the connect's cause.
     */
    final Future<Void> open()
    {
        final Promise<Void> promise = eventLoop.newPromise();
        eventLoop.execute(() ->
        {
            if (channel != null)
            {
                promise.setSuccess(null);
                return;
            }
            connect().addListener(f ->
            {
                if (f.isSuccess())
                {
                    promise.setSuccess(null);
                }
                else
                {
                    promise.setFailure(f.cause());
                }
            });
        });
        return promise;
    }

    /**
     * Sends one open-loop request of a user. May be called from any thread; the caller has already counted
     * it with {@link BenchStats#onIssued}.
     *
     * @param stats      the run.
     * @param user       the user index, local to this connection.
     * @param intendedNs when the schedule says it is due.
     */
    final void submit(final BenchStats stats, final int user, final long intendedNs)
    {
        eventLoop.execute(() -> issue(newRequest(stats, user, intendedNs, false)));
    }

    /**
     * Starts closed-loop slots: each sends its next request as soon as its previous one finishes, until
     * {@code endNs}. May be called from any thread; the caller has already counted one
     * {@link BenchStats#onIssued} per slot at {@code startNs}.
     *
     * @param stats     the run.
     * @param slotUsers the user index (local) of each slot.
     * @param startNs   the intended time of the first requests.
     * @param endNs     no request is started from here on.
     */
    final void startClosedLoop(final BenchStats stats, final int[] slotUsers, final long startNs, final long endNs)
    {
        eventLoop.execute(() ->
        {
            closedLoopActive = true;
            closedLoopEndNs = endNs;
            for (final int user : slotUsers)
            {
                issue(newRequest(stats, user, startNs, true));
            }
        });
    }

    /**
     * Gives up on every request not yet answered: each counts as a timeout. The channel is closed when
     * requests were in flight, so that their late replies cannot be taken for later requests' replies.
     * Stops the closed loop. May be called from any thread.
     *
     * @return completes with the number of requests given up on.
     */
    final Future<Integer> abort()
    {
        return eventLoop.submit(() ->
        {
            closedLoopActive = false;
            final long nowNs = System.nanoTime();
            final List<LoadRequest> dropped = new ArrayList<>(pending);
            pending.clear();
            final int queued = dropped.size();
            takeInFlight(dropped);
            if (dropped.size() > queued && channel != null)
            {
                final Channel ch = channel;
                channel = null;
                ch.close();
            }
            for (final LoadRequest request : dropped)
            {
                request.stats.onTimeout(request, nowNs);
            }
            return dropped.size();
        });
    }

    /**
     * Stops the closed loop and starts closing the channel, if any; its unanswered requests are not
     * counted. May be called from any thread.
     *
     * @return completes once the close has been started on the event loop.
     */
    final Future<?> close()
    {
        return eventLoop.submit(() ->
        {
            closedLoopActive = false;
            if (channel != null)
            {
                final Channel ch = channel;
                channel = null;
                ch.close();
            }
        });
    }

    private LoadRequest newRequest(final BenchStats stats, final int user, final long intendedNs, final boolean closedLoop)
    {
        final String sessionId = users.nextTurn(user);
        final long id = nextRequestId++;
        final String text = queries.get(sampler.next(random));
        // ids are unique per connection: interleaving them by connection index makes the suffix unique per client
        final String query = unique ? text + " #" + ((id - 1) * connections + index) : text;
        return new LoadRequest(stats, id, user, users.generation(user), sessionId, query, intendedNs, closedLoop);
    }

    private void issue(final LoadRequest request)
    {
        final Channel ch = channel;
        if (ch != null)
        {
            if (pending.isEmpty() && inFlight() < maxInFlight)
            {
                send(ch, request);
                ch.flush();
            }
            else
            {
                request.stats.onBackpressure(request);
                pending.add(request);
            }
            return;
        }
        if (connecting)
        {
            pending.add(request);
            return;
        }
        final long nowNs = System.nanoTime();
        if (nowNs - reconnectNotBeforeNs < 0)
        {
            waitForReconnect(request, nowNs);
            return;
        }
        pending.add(request);
        connect();
    }

    private void waitForReconnect(final LoadRequest request, final long nowNs)
    {
        if (request.closedLoop)
        {
            // a closed-loop slot retries after the backoff instead of spinning through instant failures
            eventLoop.schedule(() ->
            {
                if (closedLoopActive)
                {
                    issue(request);
                }
                else
                {
                    request.stats.onTimeout(request, System.nanoTime());
                }
            }, reconnectNotBeforeNs - nowNs, TimeUnit.NANOSECONDS);
        }
        else
        {
            completeError(request, BenchStats.CONNECT_ERROR);
        }
    }

    private void send(final Channel ch, final LoadRequest request)
    {
        request.sentNs = System.nanoTime();
        writeRequest(ch, request);
    }

    private void sendPending()
    {
        final Channel ch = channel;
        if (ch == null || pending.isEmpty())
        {
            return;
        }
        boolean wrote = false;
        while (!pending.isEmpty() && inFlight() < maxInFlight)
        {
            send(ch, pending.poll());
            wrote = true;
        }
        if (wrote)
        {
            ch.flush();
        }
    }

    private ChannelFuture connect()
    {
        connecting = true;
        return bootstrap.connect().addListener((ChannelFutureListener)this::onConnected);
    }

    private void onConnected(final ChannelFuture future)
    {
        connecting = false;
        if (future.isSuccess())
        {
            channel = future.channel();
            sendPending();
            return;
        }
        reconnectNotBeforeNs = System.nanoTime() + RECONNECT_BACKOFF_NS;
        final List<LoadRequest> failed = new ArrayList<>(pending);
        pending.clear();
        for (final LoadRequest request : failed)
        {
            completeError(request, BenchStats.CONNECT_ERROR);
        }
    }

    /**
     * Called by the reply handler when its channel closed: fails that channel's in-flight requests and
     * reconnects when requests are waiting. Ignores channels this connection already let go of.
     *
     * @param ch the channel that closed.
     */
    protected final void onClosed(final Channel ch)
    {
        if (ch != channel)
        {
            return;
        }
        channel = null;
        final List<LoadRequest> lost = new ArrayList<>(inFlight());
        takeInFlight(lost);
        for (final LoadRequest request : lost)
        {
            completeError(request, BenchStats.CONNECTION_CLOSED);
        }
        if (channel == null && !connecting && !pending.isEmpty())
        {
            connect();
        }
    }

    /**
     * Records a successful reply; the subclass has already removed the request from its in-flight set.
     *
     * @param request        the request answered.
     * @param sessionId      the reply's session id.
     * @param source         the reply's source.
     * @param fallbackReason the reply's fallback reason, empty when none.
     */
    protected final void completeReply(
        final LoadRequest request, final String sessionId, final String source, final String fallbackReason)
    {
        final long nowNs = System.nanoTime();
        users.onReply(request.user, request.generation, sessionId);
        continueClosedLoop(request, nowNs);
        request.stats.onReply(request, nowNs, source, fallbackReason);
        sendPending();
    }

    /**
     * Records a failed request; the subclass has already removed it from its in-flight set.
     *
     * @param request the request.
     * @param kind    the error kind.
     */
    protected final void completeError(final LoadRequest request, final String kind)
    {
        final long nowNs = System.nanoTime();
        continueClosedLoop(request, nowNs);
        request.stats.onError(request, nowNs, kind);
        sendPending();
    }

    private void continueClosedLoop(final LoadRequest done, final long nowNs)
    {
        // the next request is counted before the finished one, so outstanding() never dips to 0 mid-run
        if (done.closedLoop && closedLoopActive && nowNs - closedLoopEndNs < 0)
        {
            done.stats.onIssued(nowNs, nowNs);
            issue(newRequest(done.stats, done.user, nowNs, true));
        }
    }
}
