package ivbot.perf;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The harness's client side: an event-loop group (epoll where available, NIO otherwise, daemon threads
 * named {@code ivbot-bench-io-*}) and the {@link LoadConnection}s, each pinned to one loop. Logical user
 * {@code u} belongs to connection {@code u % connections}, as its local user {@code u / connections}, so
 * a user's state is only ever touched by one thread. Runs ({@link LoadRun}) borrow the connections; a
 * client can serve several runs in turn (find-max does).
 * <p>
 * Thread-safe to call from one controlling thread; {@link #close()} shuts the loops down.
 */
public final class LoadClient implements AutoCloseable
{
    private final BenchConfig config;
    private final EventLoopGroup group;
    private final LoadConnection[] connections;
    private final String transport;

    /**
     * @param config  the concluded settings.
     * @param queries the query texts, at least one.
     * @param token   the bearer token every request carries.
     */
    public LoadClient(final BenchConfig config, final List<String> queries, final String token)
    {
        if (config.host == null)
        {
            throw new IllegalArgumentException("config is not concluded (expected: BenchConfig.conclude() first)");
        }
        if (queries.isEmpty())
        {
            throw new IllegalArgumentException("queries is empty (expected: at least one query)");
        }
        this.config = config;
        final IoHandlerFactory ioHandlerFactory;
        final Class<? extends Channel> channelClass;
        if (Epoll.isAvailable())
        {
            ioHandlerFactory = EpollIoHandler.newFactory();
            channelClass = EpollSocketChannel.class;
            transport = "epoll";
        }
        else
        {
            ioHandlerFactory = NioIoHandler.newFactory();
            channelClass = NioSocketChannel.class;
            transport = "nio";
        }
        group = new MultiThreadIoEventLoopGroup(config.ioThreads, new DefaultThreadFactory("ivbot-bench-io", true),
            ioHandlerFactory);
        final ZipfSampler sampler = new ZipfSampler(queries.size(), config.zipfExponent);
        final List<String> texts = List.copyOf(queries);
        final int n = config.connections;
        connections = new LoadConnection[n];
        for (int i = 0; i < n; i++)
        {
            final EventLoop loop = group.next();
            final int users = (config.users - i + n - 1) / n;
            connections[i] = config.protocol == BenchConfig.Protocol.HTTP
                ? new HttpLoadConnection(i, loop, channelClass, config, users, texts, sampler, token)
                : new FrameLoadConnection(i, loop, channelClass, config, users, texts, sampler, token);
        }
    }

    /**
     * Connects every connection.
     *
     * @param timeoutNs how long to wait for all of them.
     * @return this.
     * @throws IOException when one cannot connect in time.
     */
    public LoadClient open(final long timeoutNs) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        final Future<?>[] futures = new Future<?>[connections.length];
        for (int i = 0; i < connections.length; i++)
        {
            futures[i] = connections[i].open();
        }
        for (final Future<?> future : futures)
        {
            final long leftNs = Math.max(0, deadlineNs - System.nanoTime());
            if (!future.awaitUninterruptibly(leftNs, TimeUnit.NANOSECONDS))
            {
                throw new IOException("cannot connect to " + config.host + ":" + config.port + " within "
                    + Durations.format(timeoutNs));
            }
            if (!future.isSuccess())
            {
                throw new IOException("cannot connect to " + config.host + ":" + config.port + ": "
                    + future.cause().getMessage(), future.cause());
            }
        }
        return this;
    }

    /**
     * @return the connections, in index order; do not modify.
     */
    LoadConnection[] connections()
    {
        return connections;
    }

    /**
     * @return the concluded settings.
     */
    BenchConfig config()
    {
        return config;
    }

    /**
     * @return {@code "epoll"} or {@code "nio"}.
     */
    public String transport()
    {
        return transport;
    }

    /**
     * Gives up on every unanswered request of every connection (counted as timeouts).
     *
     * @param timeoutNs how long to wait for the event loops to do it.
     * @return the number of requests given up on.
     */
    int abortAll(final long timeoutNs)
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        final List<Future<Integer>> futures = new ArrayList<>(connections.length);
        for (final LoadConnection connection : connections)
        {
            futures.add(connection.abort());
        }
        int dropped = 0;
        for (final Future<Integer> future : futures)
        {
            if (future.awaitUninterruptibly(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS)
                && future.isSuccess())
            {
                dropped += future.getNow();
            }
        }
        return dropped;
    }

    /**
     * Closes the connections and shuts the event loops down, waiting up to 5 s.
     */
    @Override
    public void close()
    {
        for (final LoadConnection connection : connections)
        {
            connection.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
