package ivbot.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Tells HTTP/1.1 from protobuf frames by a connection's first bytes and installs the matching pipeline,
 * then removes itself (the idea of Netty's port-unification example).
 * <pre>
 *   bytes (after an optional CR LF or LF)   protocol
 *   two ASCII letters                       HTTP (the method; a lower-case one is answered 501 there)
 *   anything else                           protobuf: varint32 length, then a Frame
 * </pre>
 * A Frame's tag byte (the second byte, after a one-byte length) is one of fields 1..7, at most 0x3F,
 * never an ASCII letter; a Frame starting with 0x0D 0x0A or 0x0A is followed by a field length under
 * 0x0D, never a letter. So a request line with the empty line RFC 9112 lets a client send before it, or a
 * method in the wrong case, is still taken as HTTP and answered as such. Not sharable.
 */
public final class PortUnificationHandler extends ByteToMessageDecoder
{
    /**
     * Installs a protocol's handlers after this one.
     */
    public interface ProtocolInstaller
    {
        /**
         * @param pipeline the connection's pipeline.
         */
        void installHttp(ChannelPipeline pipeline);

        /**
         * @param pipeline the connection's pipeline.
         */
        void installFrames(ChannelPipeline pipeline);
    }

    private final ProtocolInstaller installer;

    /**
     * @param installer installs the chosen protocol's handlers.
     */
    public PortUnificationHandler(final ProtocolInstaller installer)
    {
        this.installer = installer;
    }

    @Override
    protected void decode(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> out)
    {
        if (!in.isReadable())
        {
            return;
        }
        int at = in.readerIndex();
        final int first = in.getUnsignedByte(at);
        if (first == '\r' || first == '\n')
        {
            if (first == '\r')
            {
                if (in.readableBytes() < 2)
                {
                    return;
                }
                if (in.getUnsignedByte(at + 1) != '\n')
                {
                    install(ctx, false);
                    return;
                }
                at++;
            }
            at++;
        }
        final int end = in.writerIndex();
        if (end - at < 2)
        {
            if (end > at && !isLetter(in.getUnsignedByte(at)))
            {
                install(ctx, false);
            }
            return;
        }
        install(ctx, isLetter(in.getUnsignedByte(at)) && isLetter(in.getUnsignedByte(at + 1)));
    }

    private static boolean isLetter(final int b)
    {
        return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z';
    }

    private void install(final ChannelHandlerContext ctx, final boolean http)
    {
        if (http)
        {
            installer.installHttp(ctx.pipeline());
        }
        else
        {
            installer.installFrames(ctx.pipeline());
        }
        // ByteToMessageDecoder hands the buffered bytes to the next handler on removal
        ctx.pipeline().remove(this);
    }
}
