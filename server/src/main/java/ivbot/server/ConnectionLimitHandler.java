package ivbot.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Closes new connections beyond {@code maxConnections} at once, so a flood of sockets cannot exhaust
 * file descriptors or memory. Sharable: one instance counts all of a server's connections (an atomic
 * counter, touched once per connect and disconnect).
 */
@ChannelHandler.Sharable
public final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter
{
    private final int maxConnections;
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder refused = new LongAdder();

    /**
     * @param maxConnections the most connections open at once.
     */
    public ConnectionLimitHandler(final int maxConnections)
    {
        if (maxConnections <= 0)
        {
            throw new IllegalArgumentException("maxConnections=" + maxConnections + " (expected: > 0)");
        }
        this.maxConnections = maxConnections;
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        if (open.incrementAndGet() > maxConnections)
        {
            refused.increment();
            ctx.close();
            return;
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        open.decrementAndGet();
        super.channelInactive(ctx);
    }

    /**
     * @return connections open now.
     */
    public int open()
    {
        return open.get();
    }

    /**
     * @return connections refused so far.
     */
    public long refused()
    {
        return refused.sum();
    }
}
