package ivbot.server;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
    /** {@code --max-connections-per-address}: one client address's connections beyond this are closed at once. */
    public int maxConnectionsPerAddress = 256;
    /** {@code --rate-per-user}: requests a second one token subject may make on average; 0 = no limit. */
    public double userRatePerSecond = 10;
    /** {@code --burst-per-user}: requests one token subject may make at once. */
    public int userBurst = 30;
    /** {@code --rate-per-address}: requests a second one client address may make on average; 0 = no limit. */
    public double addressRatePerSecond = 200;
    /** {@code --burst-per-address}: requests one client address may make at once. */
    public int addressBurst = 400;
    /** {@code --max-sessions-per-user}: sessions one user holds; a new one evicts that user's oldest. */
    public int maxSessionsPerUser = 16;
    /**
     * {@code --trusted-proxy}: addresses of reverse proxies whose {@code X-Forwarded-For} names the client,
     * for the per-address limits and the dev page's loopback check.
     */
    public List<String> trustedProxies = new ArrayList<>();
    /** {@code --dev}: the chat page carries a dev token; only loopback binds are allowed. */
    public boolean dev;

    private Set<InetAddress> trustedProxyAddresses = Set.of();

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
        check(maxConnectionsPerAddress > 0, "max-connections-per-address", maxConnectionsPerAddress, "> 0");
        check(userRatePerSecond >= 0, "rate-per-user", userRatePerSecond, ">= 0");
        check(userBurst >= 1, "burst-per-user", userBurst, ">= 1");
        check(addressRatePerSecond >= 0, "rate-per-address", addressRatePerSecond, ">= 0");
        check(addressBurst >= 1, "burst-per-address", addressBurst, ">= 1");
        check(maxSessionsPerUser > 0, "max-sessions-per-user", maxSessionsPerUser, "> 0");
        final Set<InetAddress> proxies = new HashSet<>();
        for (final String proxy : trustedProxies)
        {
            final InetAddress address = NetUtil.createInetAddressFromIpAddressString(proxy.strip());
            check(address != null, "trusted-proxy", proxy, "an IP address");
            proxies.add(address);
        }
        trustedProxyAddresses = Set.copyOf(proxies);
        if (dev)
        {
            final InetAddress bind = NetUtil.createInetAddressFromIpAddressString(host);
            check(bind != null && bind.isLoopbackAddress() || "localhost".equals(host), "host", host,
                "a loopback address with --dev, e.g. 127.0.0.1; a dev token must not reach other machines");
        }
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

    /**
     * @return the {@link #trustedProxies} as addresses; set by {@link #conclude()}.
     */
    public Set<InetAddress> trustedProxyAddresses()
    {
        return trustedProxyAddresses;
    }

    private static void check(final boolean ok, final String name, final Object value, final String expected)
    {
        if (!ok)
        {
            throw new IllegalArgumentException("--" + name + "=" + value + " (expected: " + expected + ")");
        }
    }
}
