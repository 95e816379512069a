package ivbot.server.session;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * A single master through Lettuce's {@link RedisClient}: {@code redis://}, {@code rediss://}, or a master
 * behind Sentinel ({@code redis-sentinel://}). For Sentinel, Lettuce asks the sentinels for the master's
 * address on every (re)connect, so after a failover the next reconnect reaches the new master with no
 * restart. Thread-safe.
 */
final class StandaloneRedisConnector extends LettuceConnector<StatefulRedisConnection<String, String>>
{
    private final RedisClient client;
    private final RedisURI uri;
    private final String description;

    /**
     * @param config the store's settings, concluded.
     */
    StandaloneRedisConnector(final RedisStoreConfig config)
    {
        super(config);
        final Duration timeout = Duration.ofMillis(config.commandTimeoutMs);
        this.uri = RedisURI.create(config.uri);
        uri.setTimeout(timeout);
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
            .autoReconnect(true)
            // our queue holds writes; Lettuce's own buffer would make reads wait too and replay stale writes
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .requestQueueSize(4 * config.writeQueueCapacity)
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .socketOptions(SocketOptions.builder().connectTimeout(timeout).keepAlive(true).build())
            .build());
        this.description = uri.getSentinelMasterId() != null ?
            "redis sentinel " + uri.getSentinelMasterId() + " via " + uri.getSentinels().stream()
                .map(s -> s.getHost() + ":" + s.getPort()).collect(Collectors.joining(",")) :
            "redis " + uri.getHost() + ":" + uri.getPort();
    }

    @Override
    CompletionStage<StatefulRedisConnection<String, String>> open()
    {
        return client.connectAsync(StringCodec.UTF8, uri);
    }

    @Override
    RedisClusterAsyncCommands<String, String> commandsOf(final StatefulRedisConnection<String, String> connection)
    {
        return connection.async();
    }

    @Override
    AbstractRedisClient client()
    {
        return client;
    }

    @Override
    public CompletionStage<Probe> probe()
    {
        final StatefulRedisConnection<String, String> c = connection();
        if (c == null || !c.isOpen())
        {
            return CompletableFuture.completedFuture(Probe.none("disconnected"));
        }
        return c.async().ping().toCompletableFuture().handle((pong, error) -> error == null ? Probe.ALL :
            Probe.none(error.toString()));
    }

    @Override
    public String describe()
    {
        return description;
    }
}
