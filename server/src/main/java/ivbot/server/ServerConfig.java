package ivbot.server;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The server's settings: documented name/default pairs, checked once by {@link #conclude()} (Aeron's
 * {@code MediaDriver.Context} idea), whose errors name the setting and its value.
 */
public final class ServerConfig
{
    /** {@code --host}: the address to bind. */
    public String host = "0.0.0.0";
    /** {@code --port}: the one port for HTTP and protobuf frames; 0 picks a free port. */
    public int port = 8080;
    /** {@code --io-threads}: event-loop threads; 0 means the number of cores. */
    public int ioThreads = 0;
    /** {@code --redis}: {@code redis://host:port} or {@code redis-sentinel://...}; null for in-process. */
    public String redisUri;
    /** {@code --redis-timeout-ms}: Redis command timeout. */
    public long redisTimeoutMs = 1000;
    /** {@code --session-ttl}: session time-to-live in seconds. */
    public int sessionTtlSeconds = 600;
    /** {@code --max-sessions}: bound of the in-process store. */
    public long maxSessions = 1_000_000;
    /** {@code --kb}: the knowledge-base directory. */
    public Path knowledgeBaseDir = Path.of("models", "kb");
    /** {@code --kb-poll-ms}: how often the knowledge base is checked for changes; 0 disables reloading. */
    public long knowledgeBasePollMs = 2000;
    /** {@code --max-body}: the largest HTTP body, bytes. */
    public int maxBodyBytes = 16 * 1024;
    /** {@code --max-frame}: the largest protobuf frame, bytes. */
    public int maxFrameBytes = 16 * 1024;
    /** {@code --max-pipelined}: requests queued per connection before reading pauses. */
    public int maxPipelined = 64;
    /** {@code --request-timeout-ms}: how long one request may take to arrive, from its first byte. */
    public long requestTimeoutMs = 10_000;
    /** {@code --shutdown-timeout-ms}: how long a graceful shutdown waits for requests in flight. */
    public long shutdownTimeoutMs = 5_000;
    /** {@code --max-connections}: connections beyond this are closed at once. */
    public int maxConnections = 10_000;
    /** {@code --metrics-interval-ms}: how often interval histograms are taken. */
    public long metricsIntervalMs = 1000;
    /** {@code --idle-timeout-s}: a connection with nothing read for this long is closed. */
    public int idleTimeoutSeconds = 60;

    /**
     * Checks every setting.
     *
     * @return this.
     * @throws IllegalArgumentException naming the first setting out of range.
     */
    public ServerConfig conclude()
    {
        check(port >= 0 && port <= 65535, "port", port, ">= 0 and <= 65535");
        check(ioThreads >= 0, "io-threads", ioThreads, ">= 0");
        check(redisTimeoutMs > 0, "redis-timeout-ms", redisTimeoutMs, "> 0");
        check(sessionTtlSeconds > 0, "session-ttl", sessionTtlSeconds, "> 0");
        check(maxSessions > 0, "max-sessions", maxSessions, "> 0");
        check(knowledgeBasePollMs >= 0, "kb-poll-ms", knowledgeBasePollMs, ">= 0");
        check(maxBodyBytes > 0, "max-body", maxBodyBytes, "> 0");
        check(maxFrameBytes > 0, "max-frame", maxFrameBytes, "> 0");
        check(maxPipelined > 0, "max-pipelined", maxPipelined, "> 0");
        check(idleTimeoutSeconds > 0, "idle-timeout-s", idleTimeoutSeconds, "> 0");
        check(metricsIntervalMs > 0, "metrics-interval-ms", metricsIntervalMs, "> 0");
        check(requestTimeoutMs > 0, "request-timeout-ms", requestTimeoutMs, "> 0");
        check(maxConnections > 0, "max-connections", maxConnections, "> 0");
        check(shutdownTimeoutMs >= 0, "shutdown-timeout-ms", shutdownTimeoutMs, ">= 0");
        check(Files.isDirectory(knowledgeBaseDir), "kb", knowledgeBaseDir, "an existing directory");
        if (redisUri != null)
        {
            check(ivbot.server.session.SessionStores.isRedisUri(redisUri), "redis", redisUri,
                ivbot.server.session.SessionStores.SCHEMES);
        }
        if (ioThreads == 0)
        {
            ioThreads = Runtime.getRuntime().availableProcessors();
        }
        return this;
    }

    private static void check(final boolean ok, final String name, final Object value, final String expected)
    {
        if (!ok)
        {
            throw new IllegalArgumentException("--" + name + "=" + value + " (expected: " + expected + ")");
        }
    }
}
