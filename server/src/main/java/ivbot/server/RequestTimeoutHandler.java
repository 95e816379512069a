package ivbot.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Closes a connection whose request takes too long to arrive: the clock starts with the first byte of a
 * request and stops when the request is complete ({@link #requestComplete()}, called by the protocol
 * handler). A client that sends a header one byte a second (slowloris) is cut off after about
 * {@code timeoutMs}, while an idle keep-alive connection is left to the idle timeout.
 * <p>
 * One periodic check per connection (every quarter of the timeout) instead of a timer per request keeps
 * the hot path to two field writes. Not sharable; all methods run on the channel's event loop.
 */
public final class RequestTimeoutHandler extends ChannelInboundHandlerAdapter
{
    private final long timeoutNs;
    private ScheduledFuture<?> check;
    private long requestStartNs;

    /**
     * @param timeoutMs how long one request may take to arrive.
     */
    public RequestTimeoutHandler(final long timeoutMs)
    {
        if (timeoutMs <= 0)
        {
            throw new IllegalArgumentException("timeoutMs=" + timeoutMs + " (expected: > 0)");
        }
        this.timeoutNs = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        final long periodNs = Math.max(1_000_000L, timeoutNs / 4);
        check = ctx.executor().scheduleAtFixedRate(() ->
        {
            final long start = requestStartNs;
            if (start != 0 && System.nanoTime() - start > timeoutNs)
            {
                ctx.close();
            }
        }, periodNs, periodNs, TimeUnit.NANOSECONDS);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (requestStartNs == 0)
        {
            requestStartNs = System.nanoTime();
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * A whole request has arrived: stops the clock until the next byte.
     */
    public void requestComplete()
    {
        requestStartNs = 0;
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        if (check != null)
        {
            check.cancel(false);
        }
        super.channelInactive(ctx);
    }
}
