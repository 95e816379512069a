package ivbot.server.session;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A single master through Lettuce's {@link RedisClient}: {@code redis://}, {@code rediss://}, or a master
 * behind Sentinel ({@code redis-sentinel://}). For Sentinel, Lettuce asks the sentinels for the master's
 * address on every (re)connect, so after a failover the next reconnect reaches the new master with no
 * restart. Thread-safe.
 */
final class StandaloneRedisConnector implements RedisConnector
{
    private final ClientResources resources;
    private final RedisClient client;
    private final RedisURI uri;
    private final String description;
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile RedisClusterAsyncCommands<String, String> commands;

    /**
     * @param config the store's settings, concluded.
     */
    StandaloneRedisConnector(final RedisStoreConfig config)
    {
        final Duration timeout = Duration.ofMillis(config.commandTimeoutMs);
        this.uri = RedisURI.create(config.uri);
        uri.setTimeout(timeout);
        this.resources = resources(config);
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

    /**
     * Lettuce's threads and reconnect back-off for one store: 2 I/O threads, exponential back-off from 10 ms
     * up to {@code reconnectDelayMaxMs}, so that a master that comes back is found within that long.
     */
    static ClientResources resources(final RedisStoreConfig config)
    {
        return ClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            .reconnectDelay(() -> Delay.exponential(
                Duration.ofMillis(10), Duration.ofMillis(config.reconnectDelayMaxMs), 2, TimeUnit.MILLISECONDS))
            .build();
    }

    @Override
    public CompletionStage<Void> connect()
    {
        return client.connectAsync(StringCodec.UTF8, uri).toCompletableFuture().thenAccept(c ->
        {
            connection = c;
            commands = c.async();
        });
    }

    @Override
    public RedisClusterAsyncCommands<String, String> commands()
    {
        return commands;
    }

    @Override
    public CompletionStage<Probe> probe()
    {
        final StatefulRedisConnection<String, String> c = connection;
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

    @Override
    public void close()
    {
        final StatefulRedisConnection<String, String> c = connection;
        if (c != null)
        {
            c.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
