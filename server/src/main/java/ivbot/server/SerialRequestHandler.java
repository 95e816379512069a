package ivbot.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import org.agrona.collections.LongArrayQueue;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Processes a connection's requests one at a time and in arrival order, so pipelined requests are
 * answered in order and two turns of one connection never race on a session. Requests that arrive while
 * one is in flight wait in a bounded per-connection queue; when it holds {@code maxPending} requests the
 * handler stops reading from the socket (auto-read off) until it drains, so a client that pipelines
 * thousands of requests is slowed down by TCP, not buffered in memory. Queued requests start when a socket
 * read's requests have all been queued ({@code channelReadComplete}), so the one processed first knows how many
 * wait behind it ({@link #queuedBehind()}): its wait for the model is theirs too.
 * <p>
 * Output backpressure: while the channel is not writable (its outbound buffer is above the high water
 * mark because the peer does not read its replies), no further request is started and reading stops;
 * both resume when the channel becomes writable again. So a connection holds at most its unsent bytes
 * up to the high water mark plus one response, and its queued requests up to {@code maxPending} plus what
 * one socket read decoded (the server bounds a read's buffer). A queue that still grows past
 * {@code maxQueued} (a client that ignores TCP flow control and pipelines without end) closes the
 * connection.
 * <p>
 * Not sharable. All state is touched on the channel's event loop only: a future that completes on another
 * thread hands its result back through {@code ctx.executor()}. Responses of requests that complete
 * synchronously are written without a flush and flushed once the queue is empty.
 *
 * @param <I> the inbound request type.
 */
public abstract class SerialRequestHandler<I> extends ChannelInboundHandlerAdapter
{
    /**
     * The server-wide count of requests being processed, set on each child channel by the server so that
     * a graceful shutdown can wait for them; absent on channels made elsewhere (tests).
     */
    public static final AttributeKey<AtomicInteger> IN_FLIGHT = AttributeKey.valueOf("ivbot.inFlight");

    // past maxPending reading pauses; requests already decoded from the last read still queue up to this
    private static final int MAX_QUEUED_FACTOR = 16;
    private static final int MIN_MAX_QUEUED = 1024;

    private final Class<I> requestType;
    private final int maxPending;
    private final int maxQueued;
    private final ArrayDeque<I> pending = new ArrayDeque<>();
    // arrival times of the pending requests, in the same order (grows with the queue, no boxing)
    private final LongArrayQueue arrivals = new LongArrayQueue(Long.MIN_VALUE);
    private long currentArrivalNs;
    private boolean busy;
    private boolean closed;
    private RequestTimeoutHandler requestTimeout;

    /**
     * @param requestType the inbound message type this handler takes; others pass on.
     * @param maxPending  the most queued requests before reading pauses.
     */
    protected SerialRequestHandler(final Class<I> requestType, final int maxPending)
    {
        if (maxPending <= 0)
        {
            throw new IllegalArgumentException("maxPending=" + maxPending + " (expected: > 0)");
        }
        this.requestType = requestType;
        this.maxPending = maxPending;
        this.maxQueued = Math.max(maxPending * MAX_QUEUED_FACTOR, MIN_MAX_QUEUED);
    }

    /**
     * When the request being processed arrived: read from {@link #process}, so that its deadline and its
     * latency count the time it waited behind the connection's earlier requests. A request that waited past
     * its deadline is then answered at once (by the rules) instead of waiting for the model again.
     *
     * @return {@link System#nanoTime()} when the request now in {@link #process} was read.
     */
    protected final long arrivalNanos()
    {
        return currentArrivalNs;
    }

    /**
     * @return how many requests of this connection wait behind the one now in {@link #process}: they are
     *         answered after it, so its wait is theirs too.
     */
    protected final int queuedBehind()
    {
        return pending.size();
    }

    /**
     * @return {@link System#nanoTime()} when the oldest request waiting behind the one in {@link #process}
     *         arrived; meaningful only while {@link #queuedBehind()} is above 0.
     */
    protected final long oldestQueuedArrivalNanos()
    {
        return arrivals.peekLong();
    }

    /**
     * Starts processing one request. Called on the event loop. Must not throw.
     *
     * @param ctx     the context.
     * @param request the request; ownership stays with this handler, which releases it after
     *                {@link #respond} has run.
     * @return the response object to pass to {@link #respond}.
     */
    protected abstract CompletableFuture<?> process(ChannelHandlerContext ctx, I request);

    /**
     * Writes the outcome of a request without flushing. Called on the event loop.
     *
     * @param ctx     the context.
     * @param request the request.
     * @param result  the value of {@link #process}'s future, or {@code null} when it failed.
     * @param error   the failure, or {@code null}.
     * @return false to close the connection after this response (the rest of the queue is dropped).
     */
    protected abstract boolean respond(ChannelHandlerContext ctx, I request, Object result, Throwable error);

    @Override
    public final void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (!requestType.isInstance(msg))
        {
            ctx.fireChannelRead(msg);
            return;
        }
        if (closed)
        {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (requestTimeout == null)
        {
            requestTimeout = ctx.pipeline().get(RequestTimeoutHandler.class);
        }
        if (requestTimeout != null)
        {
            requestTimeout.requestComplete();
        }
        arrivals.addLong(System.nanoTime());
        pending.add(requestType.cast(msg));
        if (pending.size() > maxQueued)
        {
            // a peer that pipelines past every bound: drop the connection rather than its memory
            closed = true;
            releasePending();
            ctx.close();
            return;
        }
        if (pending.size() >= maxPending)
        {
            ctx.channel().config().setAutoRead(false);
        }
    }

    /**
     * Starts the queued requests once a socket read's requests are all queued (not as each is decoded), so that the
     * first of a pipelined burst is processed knowing how many wait behind it ({@link #queuedBehind()}), and the
     * responses of those answered at once leave in one flush.
     */
    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx)
    {
        drain(ctx);
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext ctx) throws Exception
    {
        if (ctx.channel().isWritable())
        {
            drain(ctx);
        }
        else if (!closed)
        {
            ctx.channel().config().setAutoRead(false);
        }
        super.channelWritabilityChanged(ctx);
    }

    private void drain(final ChannelHandlerContext ctx)
    {
        boolean wrote = false;
        final Channel channel = ctx.channel();
        while (!busy && !closed && channel.isWritable())
        {
            final I request = pending.poll();
            if (request == null)
            {
                break;
            }
            currentArrivalNs = arrivals.pollLong();
            busy = true;
            final AtomicInteger inFlight = ctx.channel().attr(IN_FLIGHT).get();
            if (inFlight != null)
            {
                inFlight.incrementAndGet();
            }
            final CompletableFuture<?> future = process(ctx, request);
            if (future.isDone())
            {
                complete(ctx, request, future);
                wrote = true;
            }
            else
            {
                future.whenComplete((r, e) ->
                {
                    if (ctx.executor().inEventLoop())
                    {
                        afterAsync(ctx, request, future);
                    }
                    else
                    {
                        try
                        {
                            ctx.executor().execute(() -> afterAsync(ctx, request, future));
                        }
                        catch (final RejectedExecutionException shutDown)
                        {
                            // the event loop is gone: nobody can answer, but the request is still ours
                            ReferenceCountUtil.release(request);
                            finished(ctx);
                        }
                    }
                });
            }
        }
        if (wrote)
        {
            ctx.flush();
        }
        if (!closed)
        {
            // a closing connection keeps its reading as it is: a lingering close waits to read the peer's end
            final boolean writable = channel.isWritable();
            final boolean autoRead = channel.config().isAutoRead();
            if (!writable && autoRead)
            {
                channel.config().setAutoRead(false);
            }
            else if (writable && !autoRead && pending.size() < maxPending / 2)
            {
                channel.config().setAutoRead(true);
            }
        }
    }

    private void afterAsync(final ChannelHandlerContext ctx, final I request, final CompletableFuture<?> future)
    {
        complete(ctx, request, future);
        ctx.flush();
        drain(ctx);
    }

    private static void finished(final ChannelHandlerContext ctx)
    {
        final AtomicInteger inFlight = ctx.channel().attr(IN_FLIGHT).get();
        if (inFlight != null)
        {
            inFlight.decrementAndGet();
        }
    }

    private void complete(final ChannelHandlerContext ctx, final I request, final CompletableFuture<?> future)
    {
        busy = false;
        finished(ctx);
        Object result = null;
        Throwable error = null;
        try
        {
            result = future.join();
        }
        catch (final RuntimeException ex)
        {
            error = ex;
        }
        try
        {
            if (!closed && !respond(ctx, request, result, error))
            {
                closed = true;
                releasePending();
            }
        }
        finally
        {
            ReferenceCountUtil.release(request);
        }
    }

    /**
     * @return true once a response asked for the connection to close.
     */
    protected final boolean isClosing()
    {
        return closed;
    }

    private void releasePending()
    {
        I request;
        while ((request = pending.poll()) != null)
        {
            ReferenceCountUtil.release(request);
        }
        arrivals.clear();
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        closed = true;
        releasePending();
        super.channelInactive(ctx);
    }
}
