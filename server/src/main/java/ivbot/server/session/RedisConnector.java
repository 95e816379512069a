package ivbot.server.session;

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.util.concurrent.CompletionStage;

/**
 * One Redis topology behind a {@link RedisSessionStore}: how to connect, which commands to use once
 * connected, and how to tell whether Redis answers. Lettuce does the rest: reconnecting, following a
 * Sentinel master or a Cluster topology, redirects and command timeouts.
 * <p>
 * Threads: {@link #connect()} and {@link #probe()} from the store's timer thread, one at a time;
 * {@link #commands()} from any thread.
 */
interface RedisConnector extends AutoCloseable
{
    /**
     * Makes one attempt to connect. Called until one succeeds; after that Lettuce reconnects by itself.
     *
     * @return completes once connected, or fails.
     */
    CompletionStage<Void> connect();

    /**
     * @return the commands, which Lettuce routes to the current master; {@code null} until connected. They
     *         fail at once while the connection is down (Lettuce rejects commands while disconnected).
     */
    RedisClusterAsyncCommands<String, String> commands();

    /**
     * Pings Redis; never fails.
     *
     * @return whether any and whether all masters that own slots answered (one master outside Cluster).
     */
    CompletionStage<Probe> probe();

    /**
     * @return e.g. {@code "redis sentinel mymaster via 127.0.0.1:26379,127.0.0.1:26380"}.
     */
    String describe();

    @Override
    void close();

    /**
     * A probe's result.
     *
     * @param any     at least one master answered: Redis is reachable.
     * @param all     every master that owns slots answered: the store is ready.
     * @param failure why a master did not answer, for logs; {@code null} when all did.
     */
    record Probe(boolean any, boolean all, String failure)
    {
        static final Probe ALL = new Probe(true, true, null);

        static Probe none(final String failure)
        {
            return new Probe(false, false, failure);
        }
    }
}
