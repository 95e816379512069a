package ivbot.server.session;

import io.lettuce.core.RedisURI;
import ivbot.inference.Intent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Opens a Redis session store by the URI's scheme:
 *
 * <pre>
 *   redis://[[user:]password@]host:port[/db]                 one master
 *   rediss://[[user:]password@]host:port[/db]                one master over TLS
 *   redis-sentinel://[[user:]password@]host:port[,host:port...][/db]#master
 *                                                            the master named "master", found through
 *                                                            the sentinels and followed after a failover
 *   redis-cluster://[[user:]password@]host:port[,host:port...]
 *   rediss-cluster://...                                     Redis Cluster from these seed nodes (TLS)
 * </pre>
 *
 * Each opens a {@link RedisSessionStore}: it never fails for Redis being down (it keeps connecting in the
 * background), writes wait up to 5 s in its local queue during a switch, and reads and writes fail at once
 * while it is down. Thread-safe; no state.
 */
public final class SessionStores
{
    /**
     * The accepted URI forms, for messages.
     */
    public static final String SCHEMES = "redis://host:port, rediss://host:port, " +
        "redis-sentinel://host:port[,host:port]#master or redis-cluster://host:port[,host:port...]";

    private static final String CLUSTER = "redis-cluster://";
    private static final String CLUSTER_TLS = "rediss-cluster://";

    private SessionStores()
    {
    }

    /**
     * Opens a store with the default queue settings (5 s write window, 10,000 pending writes).
     *
     * @param uri              a URI in one of the {@link SessionStores forms above}.
     * @param ttlSeconds       the session time-to-live set by each write.
     * @param commandTimeout   the timeout of one Redis command ({@code --redis-timeout-ms}).
     * @param intents          how a stored topic id is read back ({@link RedisStoreConfig#intents}).
     * @return the store; Redis may still be unreachable (see {@link SessionStore#isReady()}).
     * @throws IllegalArgumentException for a malformed URI or an unknown scheme.
     */
    public static SessionStore open(final String uri, final int ttlSeconds, final Duration commandTimeout,
        final Function<String, Intent> intents)
    {
        return open(uri, ttlSeconds, Integer.MAX_VALUE, commandTimeout, intents);
    }

    /**
     * Opens a store with the default queue settings and a cap on each user's sessions.
     *
     * @param uri                a URI in one of the {@link SessionStores forms above}.
     * @param ttlSeconds         the session time-to-live set by each write.
     * @param maxSessionsPerUser the most sessions one user holds; a new one evicts that user's oldest.
     * @param commandTimeout     the timeout of one Redis command.
     * @param intents            how a stored topic id is read back ({@link RedisStoreConfig#intents}).
     * @return the store; Redis may still be unreachable.
     */
    public static SessionStore open(final String uri, final int ttlSeconds, final int maxSessionsPerUser,
        final Duration commandTimeout, final Function<String, Intent> intents)
    {
        final RedisStoreConfig config = RedisStoreConfig.of(uri, intents);
        config.ttlSeconds = ttlSeconds;
        config.maxSessionsPerUser = maxSessionsPerUser;
        config.commandTimeoutMs = commandTimeout.toMillis();
        return open(config);
    }

    /**
     * @param config every setting of the store.
     * @return the store; Redis may still be unreachable.
     * @throws IllegalArgumentException naming a setting out of range.
     */
    public static SessionStore open(final RedisStoreConfig config)
    {
        return new RedisSessionStore(config);
    }

    /**
     * @param uri a candidate URI, may be {@code null}.
     * @return true when its scheme is one of those above.
     */
    public static boolean isRedisUri(final String uri)
    {
        if (uri == null)
        {
            return false;
        }
        final String lower = uri.toLowerCase(Locale.ROOT);
        return lower.startsWith("redis://") || lower.startsWith("rediss://") || lower.startsWith("redis-sentinel://") ||
            lower.startsWith("rediss-sentinel://") || isCluster(uri);
    }

    static boolean isCluster(final String uri)
    {
        final String lower = uri.toLowerCase(Locale.ROOT);
        return lower.startsWith(CLUSTER) || lower.startsWith(CLUSTER_TLS);
    }

    /**
     * Splits {@code redis-cluster://[cred@]h1:p1,h2:p2} into one {@code redis://[cred@]h:p} URI per seed.
     *
     * @param uri a cluster URI.
     * @return the seed nodes, at least one.
     * @throws IllegalArgumentException for a malformed URI.
     */
    static List<RedisURI> clusterSeeds(final String uri)
    {
        final boolean tls = uri.toLowerCase(Locale.ROOT).startsWith(CLUSTER_TLS);
        String rest = uri.substring(tls ? CLUSTER_TLS.length() : CLUSTER.length());
        String credentials = "";
        final int at = rest.lastIndexOf('@');
        if (at >= 0)
        {
            credentials = rest.substring(0, at + 1);
            rest = rest.substring(at + 1);
        }
        final int slash = rest.indexOf('/');
        if (slash >= 0)
        {
            rest = rest.substring(0, slash);
        }
        final List<RedisURI> seeds = new ArrayList<>();
        for (final String hostPort : rest.split(","))
        {
            if (hostPort.isBlank() || hostPort.indexOf(':') <= 0)
            {
                throw new IllegalArgumentException("uri=" + uri + " (expected: " + SCHEMES + ")");
            }
            seeds.add(RedisURI.create((tls ? "rediss://" : "redis://") + credentials + hostPort.strip()));
        }
        return seeds;
    }
}
