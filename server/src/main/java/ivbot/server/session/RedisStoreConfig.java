package ivbot.server.session;

import ivbot.inference.Intent;

import java.util.function.Function;

/**
 * The settings of a {@link RedisSessionStore}: documented name/default pairs, checked once by
 * {@link #conclude()}, whose errors name the setting and its value. Filled in by one thread before the
 * store is made; not used after.
 */
public final class RedisStoreConfig
{
    /** The Redis URI; see {@link SessionStores} for the schemes. Required. */
    public String uri;
    /**
     * How a session's stored topic id is read back: the intent of that id in the catalog in service, or
     * {@code null} when it has none (the session then reads as having no topic). Required.
     */
    public Function<String, Intent> intents;
    /** Session time-to-live in seconds, set by every save and touch. */
    public int ttlSeconds = SessionStore.DEFAULT_TTL_SECONDS;
    /**
     * Timeout of one Redis command, of a connect and of a Sentinel lookup, in milliseconds
     * ({@code --redis-timeout-ms}). One write attempt or read attempt that hangs fails after this long and is
     * retried while its window lasts.
     */
    public long commandTimeoutMs = 1000;
    /**
     * How long a write (save, touch, delete) may wait in the local queue for Redis to come back, from when it
     * was made, in milliseconds; also how long Redis may go without answering before the store counts as
     * down and fails reads and writes at once.
     */
    public long writeWindowMs = 5000;
    /**
     * How long a read made while Redis is switching (unreachable for less than {@link #writeWindowMs}) may
     * wait for it, in milliseconds. The turn's write would have to wait for the switch anyway, so a read that
     * waits keeps the conversation's context at no cost in latency. 0: reads never wait.
     */
    public long readWaitMs = 5000;
    /** The most writes made but not yet acknowledged, in flight or waiting; one more fails at once. */
    public int writeQueueCapacity = 10_000;
    /** The most sessions one user holds; a new one evicts that user's oldest ({@code Integer.MAX_VALUE}: no cap). */
    public int maxSessionsPerUser = Integer.MAX_VALUE;
    /** How often the store pings Redis and retries or expires the writes and reads that wait, in milliseconds. */
    public long probeIntervalMs = 100;
    /**
     * The longest pause between two reconnect attempts, in milliseconds (Lettuce backs off exponentially from
     * 10 ms up to this), and between two attempts of the first connect.
     */
    public long reconnectDelayMaxMs = 250;
    /** Cluster only: the period of the topology refresh, in milliseconds (adaptive refreshes come on top). */
    public long clusterRefreshMs = 1000;
    /**
     * How long the constructor waits for the first connection, in milliseconds, so that a server started
     * next to a healthy Redis serves context from its first request; 0: do not wait. If Redis does not
     * answer by then the store starts down and keeps connecting in the background.
     */
    public long initialConnectWaitMs = 3000;

    /**
     * @param uri     a Redis URI.
     * @param intents how a stored topic id is read back ({@link #intents}).
     * @return a config with the defaults, {@code uri} and {@code intents}.
     */
    public static RedisStoreConfig of(final String uri, final Function<String, Intent> intents)
    {
        final RedisStoreConfig config = new RedisStoreConfig();
        config.uri = uri;
        config.intents = intents;
        return config;
    }

    /**
     * Checks every setting.
     *
     * @return this.
     * @throws IllegalArgumentException naming the first setting out of range.
     */
    public RedisStoreConfig conclude()
    {
        check(uri != null && SessionStores.isRedisUri(uri), "uri", uri, SessionStores.SCHEMES);
        check(intents != null, "intents", intents, "the catalog's lookup of an intent id");
        check(ttlSeconds > 0, "ttlSeconds", ttlSeconds, "> 0");
        check(commandTimeoutMs > 0, "commandTimeoutMs", commandTimeoutMs, "> 0");
        check(writeWindowMs > 0, "writeWindowMs", writeWindowMs, "> 0");
        check(readWaitMs >= 0 && readWaitMs <= writeWindowMs, "readWaitMs", readWaitMs, ">= 0 and <= writeWindowMs");
        check(writeQueueCapacity > 0, "writeQueueCapacity", writeQueueCapacity, "> 0");
        check(maxSessionsPerUser > 0, "maxSessionsPerUser", maxSessionsPerUser, "> 0");
        check(probeIntervalMs > 0 && probeIntervalMs < writeWindowMs, "probeIntervalMs", probeIntervalMs,
            "> 0 and < writeWindowMs");
        check(reconnectDelayMaxMs >= 10, "reconnectDelayMaxMs", reconnectDelayMaxMs, ">= 10");
        check(clusterRefreshMs > 0, "clusterRefreshMs", clusterRefreshMs, "> 0");
        check(initialConnectWaitMs >= 0, "initialConnectWaitMs", initialConnectWaitMs, ">= 0");
        return this;
    }

    private static void check(final boolean ok, final String name, final Object value, final String expected)
    {
        if (!ok)
        {
            throw new IllegalArgumentException(name + "=" + value + " (expected: " + expected + ")");
        }
    }
}
