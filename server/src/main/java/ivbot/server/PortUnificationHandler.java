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
 *   first byte   second byte       protocol
 *   C D G H O P T  'A'..'Z'        HTTP (CONNECT DELETE GET HEAD OPTIONS PATCH POST PUT TRACE)
 *   anything else                  protobuf: varint32 length, then a Frame
 * </pre>
 * A Frame's first tag byte is one of fields 1..7 and never an upper-case ASCII letter (those would be
 * tags of fields 8..11), so two bytes decide. Not sharable.
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
        final int first = in.getUnsignedByte(in.readerIndex());
        final boolean maybeHttp = "CDGHOPT".indexOf(first) >= 0;
        if (maybeHttp && in.readableBytes() < 2)
        {
            return;
        }
        final int second = maybeHttp ? in.getUnsignedByte(in.readerIndex() + 1) : 0;
        if (maybeHttp && second >= 'A' && second <= 'Z')
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
