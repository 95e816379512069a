package ivbot.server.session;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import ivbot.inference.Audience;
import ivbot.inference.Intent;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Sessions in Redis through Lettuce, standalone ({@code redis://host:port}) or behind Sentinel
 * ({@code redis-sentinel://host:port[,host:port]#master}). A session is a hash at {@code s:{id}}:
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
 * A save sends HSET and EXPIRE back to back on one connection without waiting in between: one pipelined
 * round trip. Lettuce completes futures on its own I/O threads. Thread-safe.
 */
public final class RedisSessionStore implements SessionStore
{
    private static final String USER = "user";
    private static final String INTENT = "intent";
    private static final String AUDIENCE = "audience";
    private static final String TURN = "turn";
    private static final String UPDATED = "updated";

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> commands;
    private final int ttlSeconds;
    private final String description;

    /**
     * Connects to Redis.
     *
     * @param uri        a {@code redis://} or {@code redis-sentinel://} URI.
     * @param ttlSeconds the time-to-live set by each write.
     * @param timeout    the command timeout.
     */
    public RedisSessionStore(final String uri, final int ttlSeconds, final Duration timeout)
    {
        if (ttlSeconds <= 0)
        {
            throw new IllegalArgumentException("ttlSeconds=" + ttlSeconds + " (expected: > 0)");
        }
        final RedisURI redisUri = RedisURI.create(uri);
        redisUri.setTimeout(timeout);
        this.client = RedisClient.create(redisUri);
        client.setOptions(ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .build());
        this.connection = client.connect(StringCodec.UTF8);
        this.commands = connection.async();
        this.ttlSeconds = ttlSeconds;
        this.description = "redis " + redisUri.getHost() + (redisUri.getSentinelMasterId() != null ?
            " sentinel master " + redisUri.getSentinelMasterId() : ":" + redisUri.getPort());
    }

    @Override
    public CompletableFuture<Session> load(final String id)
    {
        return commands.hgetall(SessionIds.key(id)).toCompletableFuture().thenApply(map -> decode(id, map));
    }

    private static Session decode(final String id, final Map<String, String> map)
    {
        if (map == null || map.isEmpty() || !map.containsKey(USER))
        {
            return null;
        }
        return new Session(
            id,
            map.get(USER),
            Intent.fromId(map.get(INTENT)),
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
        final String key = SessionIds.key(session.id());
        final Map<String, String> fields = new HashMap<>(8);
        fields.put(USER, session.user());
        fields.put(INTENT, session.intent() == null ? "" : session.intent().id());
        fields.put(AUDIENCE, session.audience() == null ? "" : session.audience().id());
        fields.put(TURN, Integer.toString(session.turns()));
        fields.put(UPDATED, Long.toString(session.updatedAtMs()));
        final CompletableFuture<Long> hset = commands.hset(key, fields).toCompletableFuture();
        final CompletableFuture<Boolean> expire = commands.expire(key, ttlSeconds).toCompletableFuture();
        return CompletableFuture.allOf(hset, expire);
    }

    @Override
    public CompletableFuture<Boolean> touch(final String id)
    {
        return commands.expire(SessionIds.key(id), ttlSeconds).toCompletableFuture();
    }

    @Override
    public CompletableFuture<Boolean> delete(final String id)
    {
        return commands.del(SessionIds.key(id)).toCompletableFuture().thenApply(n -> n != null && n > 0);
    }

    /**
     * @param id a session id.
     * @return the seconds left before the session expires, negative when it does not exist.
     */
    public CompletableFuture<Long> ttl(final String id)
    {
        return commands.ttl(SessionIds.key(id)).toCompletableFuture();
    }

    @Override
    public int ttlSeconds()
    {
        return ttlSeconds;
    }

    @Override
    public boolean isReady()
    {
        return connection.isOpen();
    }

    @Override
    public String describe()
    {
        return description;
    }

    @Override
    public void close()
    {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
