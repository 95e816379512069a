package ivbot.server.session;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * What the Lettuce topologies share: the client's threads and reconnect back-off, the one connection and
 * its commands once {@link #connect()} has succeeded, and closing connection, client and threads in that
 * order. A subclass makes the client, opens the connection and probes it. Thread-safe.
 *
 * @param <C> the connection type.
 */
abstract class LettuceConnector<C extends StatefulConnection<String, String>> implements RedisConnector
{
    /**
     * Lettuce's threads and reconnect back-off for this store, for the subclass's client.
     */
    final ClientResources resources;
    private volatile C connection;
    private volatile RedisClusterAsyncCommands<String, String> commands;

    /**
     * Lettuce's threads and reconnect back-off for one store: 2 I/O threads, exponential back-off from 10 ms
     * up to {@code reconnectDelayMaxMs}, so that a master that comes back is found within that long.
     *
     * @param config the store's settings, concluded.
     */
    LettuceConnector(final RedisStoreConfig config)
    {
        this.resources = ClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            .reconnectDelay(() -> Delay.exponential(
                Duration.ofMillis(10), Duration.ofMillis(config.reconnectDelayMaxMs), 2, TimeUnit.MILLISECONDS))
            .build();
    }

    /**
     * @return one attempt to open the connection.
     */
    abstract CompletionStage<C> open();

    /**
     * @param connection an open connection.
     * @return its asynchronous commands.
     */
    abstract RedisClusterAsyncCommands<String, String> commandsOf(C connection);

    /**
     * @return the client that {@link #open()} uses.
     */
    abstract AbstractRedisClient client();

    /**
     * @return the connection, {@code null} until {@link #connect()} has succeeded.
     */
    final C connection()
    {
        return connection;
    }

    @Override
    public final CompletionStage<Void> connect()
    {
        return open().thenAccept(c ->
        {
            connection = c;
            commands = commandsOf(c);
        });
    }

    @Override
    public final RedisClusterAsyncCommands<String, String> commands()
    {
        return commands;
    }

    @Override
    public final void close()
    {
        final C c = connection;
        if (c != null)
        {
            c.close();
        }
        client().shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
