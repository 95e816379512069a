package ivbot.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Closes a connection after its last response has been written, the way web servers do a "lingering close":
 * the output is shut down first (the peer reads the response and then end of stream) and the connection is
 * closed when the peer closes its side or {@link #LINGER_MS} later, whichever comes first. Closing at once
 * while the peer is still sending (the rest of an oversized body, more pipelined requests) makes the kernel
 * answer with a reset, and a reset can discard the response before the peer has read it.
 * <p>
 * Stateless and shared; runs on the channel's event loop.
 */
public final class LingeringClose implements ChannelFutureListener
{
    /**
     * How long a half-closed connection waits for the peer to close, in milliseconds.
     */
    public static final long LINGER_MS = 500;

    /**
     * The shared instance.
     */
    public static final LingeringClose INSTANCE = new LingeringClose();

    private LingeringClose()
    {
    }

    @Override
    public void operationComplete(final ChannelFuture future)
    {
        final Channel channel = future.channel();
        if (!future.isSuccess() || !(channel instanceof DuplexChannel) || !channel.isActive())
        {
            channel.close();
            return;
        }
        ((DuplexChannel)channel).shutdownOutput().addListener((ChannelFutureListener)shutdown ->
        {
            if (!shutdown.isSuccess())
            {
                channel.close();
                return;
            }
            final ScheduledFuture<?> timer = channel.eventLoop().schedule(
                () -> channel.close(), LINGER_MS, TimeUnit.MILLISECONDS);
            channel.closeFuture().addListener(closed -> timer.cancel(false));
        });
    }
}
