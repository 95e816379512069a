package ivbot.server.session;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import ivbot.inference.Audience;
import ivbot.inference.Intent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Sessions in Redis through Lettuce: one master ({@code redis://}, {@code rediss://}), a master behind
 * Sentinel ({@code redis-sentinel://}) or Redis Cluster ({@code redis-cluster://}); see {@link SessionStores}.
 * A session is a hash at {@code s:{id}}:
 *
 * <pre>
 *   s:{id}  user      subject of the owner's token
 *           intent    policy topic id, "" when none yet
 *           audience  audience id, "" when unknown
 *           turn      turns answered
 *           updated   epoch ms of the last turn
 *   TTL     ttlSeconds, set by every save and touch
 * </pre>
 *
 * A save is one Lua script (EVALSHA, EVAL when the master does not know it yet, as after a failover) that
 * writes the hash and its TTL unless the stored session has a later turn or another owner: a late or
 * repeated write never moves a session back, and a turn answered without context (its read failed) never
 * overwrites the context it could not read.
 *
 * <h2>When Redis goes away</h2>
 * The store's state, from the last probe (a PING every {@code probeIntervalMs}; Cluster: a PING to each
 * master, and every slot must have one):
 * <pre>
 *   connecting  never connected yet        reads and writes fail at once (SessionStoreUnavailableException)
 *   up          Redis answers              reads and writes go to Redis; isReady() true
 *   switching   no answer for &lt; window    writes wait in the local queue, reads wait up to readWaitMs
 *   down        no answer for &gt;= window   new reads and writes fail at once; Lettuce keeps reconnecting
 *   closed
 * </pre>
 * Lettuce reconnects by itself (10 ms to {@code reconnectDelayMaxMs} back-off), asks the sentinels for the
 * master on every reconnect, and refreshes the Cluster topology; its connections reject commands while
 * disconnected rather than buffering them. The waiting is ours: writes in {@link SessionWriteQueue} (bounded,
 * one lane per session, each write retried for up to {@code writeWindowMs} from when it was made, then
 * failed with {@link SessionStoreBusyException}), reads in a bounded list retried for up to
 * {@code readWaitMs}. The first connect happens in the background, so a server starts with Redis down.
 * <p>
 * Threads: methods are called from any thread and never block. Futures complete on Lettuce's I/O threads,
 * or on the store's timer thread ({@code ivbot-redis-store}) when a wait runs out. Thread-safe.
 */
public final class RedisSessionStore implements SessionStore
{
    private static final Logger LOG = LoggerFactory.getLogger(RedisSessionStore.class);

    private static final String USER = "user";
    private static final String INTENT = "intent";
    private static final String AUDIENCE = "audience";
    private static final String TURN = "turn";
    private static final String UPDATED = "updated";
    private static final String EVICTED = "evicted";
    private static final String USER_INDEX_PREFIX = "u:";

    /**
     * KEYS[1] the session key; ARGV user, intent, audience, turn, updated, ttl. Returns 2 when it made the
     * session (new, or in place of an eviction marker), 1 when it updated it, 0 when the stored session has
     * a later turn (only its TTL is renewed), -1 when it belongs to another user (nothing is written).
     */
    static final String SAVE_SCRIPT = String.join("\n",
        "local owner = redis.call('HGET', KEYS[1], 'user')",
        "if owner and owner ~= ARGV[1] then return -1 end",
        "local wasEvicted = redis.call('HEXISTS', KEYS[1], 'evicted') == 1",
        "local stored = tonumber(redis.call('HGET', KEYS[1], 'turn') or '0') or 0",
        "if stored > tonumber(ARGV[4]) then",
        "  redis.call('EXPIRE', KEYS[1], ARGV[6])",
        "  return 0",
        "end",
        "redis.call('HSET', KEYS[1], 'user', ARGV[1], 'intent', ARGV[2], 'audience', ARGV[3], 'turn', ARGV[4], " +
            "'updated', ARGV[5])",
        "redis.call('HDEL', KEYS[1], 'evicted')",
        "redis.call('EXPIRE', KEYS[1], ARGV[6])",
        "if owner and not wasEvicted then return 1 end",
        "return 2");
    private static final String SAVE_SHA = sha1Hex(SAVE_SCRIPT);

    /**
     * KEYS[1] a user's index {@code u:<sub>}, a sorted set of session ids by creation time; ARGV session id,
     * creation epoch ms, the user's cap, ttl. Adds the session and returns the ids over the cap, oldest first,
     * removed from the index.
     */
    static final String INDEX_SCRIPT = String.join("\n",
        "redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])",
        "redis.call('EXPIRE', KEYS[1], ARGV[4])",
        "local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])",
        "if over <= 0 then return {} end",
        "local ids = redis.call('ZRANGE', KEYS[1], 0, over - 1)",
        "redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)",
        "return ids");
    private static final String INDEX_SHA = sha1Hex(INDEX_SCRIPT);

    /**
     * KEYS[1] a session key; ARGV ttl. Replaces the session by an eviction marker that keeps its owner for
     * the rest of the TTL (so its next turn reads as {@link Session#evicted}); returns 1, or 0 when absent.
     */
    static final String EVICT_SCRIPT = String.join("\n",
        "local owner = redis.call('HGET', KEYS[1], 'user')",
        "if not owner then return 0 end",
        "redis.call('DEL', KEYS[1])",
        "redis.call('HSET', KEYS[1], 'user', owner, 'evicted', '1')",
        "redis.call('EXPIRE', KEYS[1], ARGV[1])",
        "return 1");
    private static final String EVICT_SHA = sha1Hex(EVICT_SCRIPT);

    private enum State
    {
        CONNECTING, UP, SWITCHING, DOWN, CLOSED
    }

    private final RedisConnector connector;
    private final SessionWriteQueue writes;
    private final ScheduledExecutorService timer;
    private final ConcurrentLinkedQueue<Read> waitingReads = new ConcurrentLinkedQueue<>();
    private final AtomicInteger waitingReadCount = new AtomicInteger();
    private final LongAdder refusedWrites = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final CountDownLatch firstConnectAttempt = new CountDownLatch(1);
    private final Function<String, Intent> intents;
    private final int ttlSeconds;
    private final int maxSessionsPerUser;
    private final long windowNs;
    private final long readWaitNs;
    private final int readCapacity;
    private final long reconnectDelayMaxMs;

    private volatile boolean connected;
    private volatile boolean reachable;
    private volatile boolean allReachable;
    private volatile long lastReachableNs;
    private volatile boolean closed;

    // timer thread only
    private boolean probing;
    private boolean connecting;
    private boolean downLogged;
    private long connectDelayMs = 10;
    private long connectFailures;
    private long nextConnectNs;

    /**
     * Opens a store with the default queue settings; see {@link SessionStores#open(String, int, Duration)}.
     *
     * @param uri            a Redis URI in one of the forms of {@link SessionStores}.
     * @param ttlSeconds     the time-to-live set by each write.
     * @param commandTimeout the timeout of one Redis command.
     * @param intents        how a stored topic id is read back ({@link RedisStoreConfig#intents}).
     */
    public RedisSessionStore(final String uri, final int ttlSeconds, final Duration commandTimeout,
        final Function<String, Intent> intents)
    {
        this(config(uri, ttlSeconds, commandTimeout, intents));
    }

    /**
     * Opens a store. Waits up to {@code initialConnectWaitMs} for the first connection, then keeps connecting
     * in the background; never fails for Redis being unreachable.
     *
     * @param config the settings; concluded here.
     * @throws IllegalArgumentException naming a setting out of range.
     */
    public RedisSessionStore(final RedisStoreConfig config)
    {
        config.conclude();
        this.intents = config.intents;
        this.ttlSeconds = config.ttlSeconds;
        this.maxSessionsPerUser = config.maxSessionsPerUser;
        this.windowNs = TimeUnit.MILLISECONDS.toNanos(config.writeWindowMs);
        this.readWaitNs = TimeUnit.MILLISECONDS.toNanos(config.readWaitMs);
        this.readCapacity = config.writeQueueCapacity;
        this.reconnectDelayMaxMs = config.reconnectDelayMaxMs;
        this.connector = SessionStores.isCluster(config.uri) ?
            new ClusterRedisConnector(config) : new StandaloneRedisConnector(config);
        this.writes = new SessionWriteQueue(config.writeQueueCapacity, windowNs, System::nanoTime,
            RedisSessionStore::isRetryable);
        this.timer = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread thread = new Thread(r, "ivbot-redis-store");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::tick, 0, config.probeIntervalMs, TimeUnit.MILLISECONDS);
        if (config.initialConnectWaitMs > 0)
        {
            try
            {
                firstConnectAttempt.await(config.initialConnectWaitMs, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        if (!connected)
        {
            LOG.warn("{} not reachable yet; starting without it and connecting in the background", connector.describe());
        }
    }

    private static RedisStoreConfig config(final String uri, final int ttlSeconds, final Duration commandTimeout,
        final Function<String, Intent> intents)
    {
        final RedisStoreConfig config = RedisStoreConfig.of(uri, intents);
        config.ttlSeconds = ttlSeconds;
        config.commandTimeoutMs = commandTimeout.toMillis();
        return config;
    }

    @Override
    public CompletableFuture<Session> load(final String id)
    {
        final State state = current();
        if (!accepts(state))
        {
            return CompletableFuture.failedFuture(unavailable(state));
        }
        final Read read = new Read(id, System.nanoTime() + readWaitNs);
        attempt(read);
        return read.future;
    }

    private void attempt(final Read read)
    {
        final CompletionStage<Map<String, String>> stage;
        try
        {
            stage = commands().hgetall(SessionIds.key(read.id));
        }
        catch (final RuntimeException ex)
        {
            onRead(read, null, ex);
            return;
        }
        stage.whenComplete((map, error) -> onRead(read, map, error));
    }

    private void onRead(final Read read, final Map<String, String> map, final Throwable error)
    {
        if (error == null)
        {
            read.future.complete(decode(read.id, map));
            return;
        }
        final Throwable cause = unwrap(error);
        if (!closed && System.nanoTime() - read.deadlineNs < 0 && isRetryable(cause))
        {
            if (waitingReadCount.incrementAndGet() <= readCapacity)
            {
                waitingReads.add(read);
                if (closed)
                {
                    read.future.completeExceptionally(new SessionStoreUnavailableException("session store closed"));
                }
                return;
            }
            waitingReadCount.decrementAndGet();
        }
        read.future.completeExceptionally(cause);
    }

    private Session decode(final String id, final Map<String, String> map)
    {
        if (map == null || map.isEmpty() || !map.containsKey(USER))
        {
            return null;
        }
        if (map.containsKey(EVICTED))
        {
            return Session.evicted(id, map.get(USER));
        }
        return new Session(
            id,
            map.get(USER),
            intents.apply(map.get(INTENT)),
            Audience.fromId(map.get(AUDIENCE)),
            parseInt(map.get(TURN)),
            parseLong(map.get(UPDATED)));
    }

    private static int parseInt(final String value)
    {
        try
        {
            return value == null ? 0 : Integer.parseInt(value);
        }
        catch (final NumberFormatException ex)
        {
            return 0;
        }
    }

    private static long parseLong(final String value)
    {
        try
        {
            return value == null ? 0 : Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            return 0;
        }
    }

    @Override
    public CompletableFuture<Void> save(final Session session)
    {
        final State state = current();
        if (!accepts(state))
        {
            refusedWrites.increment();
            return CompletableFuture.failedFuture(unavailable(state));
        }
        final String[] keys = {SessionIds.key(session.id())};
        final String[] args = {
            session.user(),
            session.intent() == null ? "" : session.intent().id(),
            session.audience() == null ? "" : session.audience().id(),
            Integer.toString(session.turns()),
            Long.toString(session.updatedAtMs()),
            Integer.toString(ttlSeconds)};
        return writes.submit(session.id(), "save", () -> saveAttempt(keys, args)).thenCompose(written ->
        {
            if (written != null && written < 0)
            {
                throw new SessionConflictException(session.id());
            }
            if (written != null && written == 0)
            {
                LOG.debug("session {} kept as stored: later turn", session.id());
            }
            return written != null && written == 2 ? index(session) : DONE;
        });
    }

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /**
     * Counts a new session against its user's cap and evicts that user's oldest sessions over it. Best
     * effort: a failure here is logged and does not fail the turn, whose own write has landed.
     */
    private CompletableFuture<Void> index(final Session session)
    {
        if (maxSessionsPerUser == Integer.MAX_VALUE)
        {
            return DONE;
        }
        final String[] keys = {USER_INDEX_PREFIX + session.user()};
        final String[] args = {session.id(), Long.toString(session.updatedAtMs()), Integer.toString(maxSessionsPerUser),
            Integer.toString(ttlSeconds)};
        final CompletableFuture<Void> done = new CompletableFuture<>();
        try
        {
            this.<List<Object>>script(INDEX_SCRIPT, INDEX_SHA, ScriptOutputType.MULTI, keys, args).whenComplete((over, error) ->
            {
                if (error != null || over == null || over.isEmpty())
                {
                    if (error != null)
                    {
                        LOG.debug("session index of a user not updated: {}", error.toString());
                    }
                    done.complete(null);
                    return;
                }
                final CompletableFuture<?>[] evicting = new CompletableFuture<?>[over.size()];
                for (int i = 0; i < evicting.length; i++)
                {
                    final String id = String.valueOf(over.get(i));
                    evicting[i] = this.<Long>script(EVICT_SCRIPT, EVICT_SHA, ScriptOutputType.INTEGER,
                        new String[] {SessionIds.key(id)}, new String[] {Integer.toString(ttlSeconds)})
                        .thenAccept(evicted ->
                        {
                            if (evicted != null && evicted == 1)
                            {
                                evictions.increment();
                            }
                        });
                }
                CompletableFuture.allOf(evicting).whenComplete((ignored, e) -> done.complete(null));
            });
        }
        catch (final RuntimeException ex)
        {
            LOG.debug("session index of a user not updated: {}", ex.toString());
            done.complete(null);
        }
        return done;
    }

    private <T> CompletableFuture<T> script(final String script, final String sha, final ScriptOutputType type,
        final String[] keys, final String[] args)
    {
        final RedisClusterAsyncCommands<String, String> commands = commands();
        return commands.<T>evalsha(sha, type, keys, args).toCompletableFuture()
            .exceptionallyCompose(error -> isNoScript(error) ?
                commands.<T>eval(script, type, keys, args) :
                CompletableFuture.failedFuture(error));
    }

    private CompletionStage<Long> saveAttempt(final String[] keys, final String[] args)
    {
        return script(SAVE_SCRIPT, SAVE_SHA, ScriptOutputType.INTEGER, keys, args);
    }

    @Override
    public CompletableFuture<Boolean> touch(final String id)
    {
        final State state = current();
        if (!accepts(state))
        {
            refusedWrites.increment();
            return CompletableFuture.failedFuture(unavailable(state));
        }
        final String key = SessionIds.key(id);
        return writes.submit(id, "touch", () -> commands().expire(key, ttlSeconds));
    }

    @Override
    public CompletableFuture<Boolean> delete(final String id)
    {
        final State state = current();
        if (!accepts(state))
        {
            refusedWrites.increment();
            return CompletableFuture.failedFuture(unavailable(state));
        }
        final String key = SessionIds.key(id);
        return writes.<Long>submit(id, "delete", () -> commands().del(key)).thenApply(n -> n != null && n > 0);
    }

    /**
     * @param id a session id.
     * @return the seconds left before the session expires, negative when it does not exist; straight to
     *         Redis, not queued.
     */
    public CompletableFuture<Long> ttl(final String id)
    {
        return commands().ttl(SessionIds.key(id)).toCompletableFuture();
    }

    private RedisClusterAsyncCommands<String, String> commands()
    {
        final RedisClusterAsyncCommands<String, String> commands = connector.commands();
        if (commands == null)
        {
            throw new RedisException("not connected to redis yet");
        }
        return commands;
    }

    @Override
    public int ttlSeconds()
    {
        return ttlSeconds;
    }

    @Override
    public boolean isReady()
    {
        return current() == State.UP;
    }

    @Override
    public String describe()
    {
        return connector.describe();
    }

    @Override
    public String state()
    {
        return current().name().toLowerCase(Locale.ROOT);
    }

    @Override
    public long pendingWrites()
    {
        return writes.pending();
    }

    @Override
    public long failedWrites()
    {
        return writes.failed() + refusedWrites.sum();
    }

    @Override
    public long evictions()
    {
        return evictions.sum();
    }

    private State current()
    {
        if (closed)
        {
            return State.CLOSED;
        }
        if (!connected)
        {
            return State.CONNECTING;
        }
        if (allReachable)
        {
            return State.UP;
        }
        return System.nanoTime() - lastReachableNs < windowNs ? State.SWITCHING : State.DOWN;
    }

    private static boolean accepts(final State state)
    {
        return state == State.UP || state == State.SWITCHING;
    }

    private SessionStoreUnavailableException unavailable(final State state)
    {
        return new SessionStoreUnavailableException(connector.describe() + " " + state.name().toLowerCase(Locale.ROOT) +
            (state == State.DOWN ? ": no answer for " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastReachableNs) +
                " ms" : ""));
    }

    /**
     * Timer thread, every probe interval: connect until connected, then probe; retry or expire what waits.
     */
    private void tick()
    {
        try
        {
            if (closed)
            {
                return;
            }
            if (!connected)
            {
                connectOnce();
            }
            else if (!probing)
            {
                probing = true;
                connector.probe().whenComplete((probe, error) ->
                    onTimer(() -> onProbe(error == null ? probe : RedisConnector.Probe.none(error.toString()))));
            }
            final State state = current();
            if (state == State.DOWN && !downLogged)
            {
                downLogged = true;
                LOG.warn("{} down: no answer for {} ms; reads and writes fail at once until it answers",
                    connector.describe(), TimeUnit.NANOSECONDS.toMillis(windowNs));
            }
            retryWaiting();
        }
        catch (final RuntimeException ex)
        {
            LOG.error("session store timer failed; continuing", ex);
        }
    }

    private void retryWaiting()
    {
        final boolean canRetry = reachable;
        writes.tick(canRetry);
        final long nowNs = System.nanoTime();
        for (int n = waitingReadCount.get(); n > 0; n--)
        {
            final Read read = waitingReads.poll();
            if (read == null)
            {
                break;
            }
            waitingReadCount.decrementAndGet();
            if (closed)
            {
                read.future.completeExceptionally(new SessionStoreUnavailableException("session store closed"));
            }
            else if (canRetry)
            {
                attempt(read);
            }
            else if (nowNs - read.deadlineNs >= 0)
            {
                read.future.completeExceptionally(new SessionStoreUnavailableException(
                    connector.describe() + " did not answer within " + TimeUnit.NANOSECONDS.toMillis(readWaitNs) + " ms"));
            }
            else
            {
                waitingReadCount.incrementAndGet();
                waitingReads.add(read);
            }
        }
    }

    private void connectOnce()
    {
        if (connecting || System.nanoTime() - nextConnectNs < 0)
        {
            return;
        }
        connecting = true;
        CompletionStage<Void> attempt;
        try
        {
            attempt = connector.connect();
        }
        catch (final RuntimeException ex)
        {
            attempt = CompletableFuture.failedFuture(ex);
        }
        attempt.whenComplete((ignored, error) -> onTimer(() -> onConnect(error)));
    }

    private void onConnect(final Throwable error)
    {
        connecting = false;
        if (error == null)
        {
            lastReachableNs = System.nanoTime();
            reachable = true;
            allReachable = true;
            connected = true;
            LOG.info("{} connected", connector.describe());
        }
        else
        {
            if (connectFailures++ % 50 == 0)
            {
                LOG.warn("{} connect failed ({} so far), retrying: {}", connector.describe(), connectFailures,
                    causes(error));
            }
            nextConnectNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(connectDelayMs);
            connectDelayMs = Math.min(2 * connectDelayMs, reconnectDelayMaxMs);
        }
        firstConnectAttempt.countDown();
    }

    private void onProbe(final RedisConnector.Probe probe)
    {
        probing = false;
        final boolean wasReachable = reachable;
        final boolean wasReady = allReachable;
        if (probe.any())
        {
            lastReachableNs = System.nanoTime();
        }
        reachable = probe.any();
        allReachable = probe.all();
        if (wasReady && !probe.all())
        {
            LOG.warn("{} not answering{} ({}); holding writes for up to {} ms", connector.describe(),
                probe.any() ? " on every master" : "", probe.failure(), TimeUnit.NANOSECONDS.toMillis(windowNs));
        }
        else if (!wasReady && probe.all())
        {
            downLogged = false;
            LOG.info("{} answering again", connector.describe());
        }
        if (!wasReachable && probe.any())
        {
            retryWaiting();
        }
    }

    private void onTimer(final Runnable task)
    {
        try
        {
            timer.execute(task);
        }
        catch (final RejectedExecutionException ex)
        {
            // closed
        }
    }

    /**
     * @param error an attempt's failure, unwrapped.
     * @return whether trying again may succeed: Redis unreachable, timed out, read-only, loading or failing over.
     */
    static boolean isRetryable(final Throwable error)
    {
        if (error instanceof RedisCommandExecutionException)
        {
            final String message = String.valueOf(error.getMessage());
            return message.startsWith("READONLY") || message.startsWith("LOADING") || message.startsWith("MASTERDOWN") ||
                message.startsWith("CLUSTERDOWN") || message.startsWith("TRYAGAIN") || message.startsWith("BUSY") ||
                message.startsWith("NOREPLICAS");
        }
        return error instanceof RedisException || error instanceof IOException || error instanceof TimeoutException ||
            error instanceof CancellationException;
    }

    private static boolean isNoScript(final Throwable error)
    {
        final Throwable cause = unwrap(error);
        return cause instanceof RedisCommandExecutionException && String.valueOf(cause.getMessage()).startsWith("NOSCRIPT");
    }

    private static Throwable unwrap(final Throwable error)
    {
        Throwable t = error;
        while (t instanceof CompletionException && t.getCause() != null)
        {
            t = t.getCause();
        }
        return t;
    }

    private static String causes(final Throwable error)
    {
        final StringBuilder text = new StringBuilder(unwrap(error).toString());
        for (Throwable t = unwrap(error).getCause(); t != null && text.length() < 1000; t = t.getCause())
        {
            text.append(" <- ").append(t);
        }
        return text.toString();
    }

    private static String sha1Hex(final String text)
    {
        try
        {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        timer.shutdownNow();
        writes.close();
        Read read;
        while ((read = waitingReads.poll()) != null)
        {
            read.future.completeExceptionally(new SessionStoreUnavailableException("session store closed"));
        }
        connector.close();
    }

    private static final class Read
    {
        final String id;
        final long deadlineNs;
        final CompletableFuture<Session> future = new CompletableFuture<>();

        Read(final String id, final long deadlineNs)
        {
            this.id = id;
            this.deadlineNs = deadlineNs;
        }
    }
}
