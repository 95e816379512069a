package ivbot.codec;

import com.google.protobuf.CodedOutputStream;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import ivbot.proto.Frame;

import java.io.IOException;

/**
 * Encodes a {@link Frame} as its varint32 length followed by its bytes (see {@link VarintFrameDecoder} for
 * the layout). Stateless and {@link ChannelHandler.Sharable}; the outbound buffer is allocated at its exact
 * size and released by the transport once written.
 */
@ChannelHandler.Sharable
public final class VarintFrameEncoder extends MessageToByteEncoder<Frame>
{
    /**
     * The shared instance.
     */
    public static final VarintFrameEncoder INSTANCE = new VarintFrameEncoder();

    private VarintFrameEncoder()
    {
        super(Frame.class);
    }

    @Override
    protected ByteBuf allocateBuffer(final ChannelHandlerContext ctx, final Frame msg, final boolean preferDirect)
    {
        final int size = msg.getSerializedSize();
        return ctx.alloc().ioBuffer(CodedOutputStream.computeUInt32SizeNoTag(size) + size);
    }

    @Override
    protected void encode(final ChannelHandlerContext ctx, final Frame msg, final ByteBuf out) throws IOException
    {
        writeFrame(msg, out);
    }

    /**
     * Writes {@code frame} with its length prefix into {@code out}, growing it as needed.
     *
     * @param frame the message to write.
     * @param out   the destination; the caller keeps ownership.
     * @throws IOException never in practice: protobuf's checked exception for a buffer that ran out.
     */
    public static void writeFrame(final Frame frame, final ByteBuf out) throws IOException
    {
        final int size = frame.getSerializedSize();
        final int total = CodedOutputStream.computeUInt32SizeNoTag(size) + size;
        out.ensureWritable(total);
        final CodedOutputStream cos = CodedOutputStream.newInstance(out.nioBuffer(out.writerIndex(), total));
        cos.writeUInt32NoTag(size);
        frame.writeTo(cos);
        cos.flush();
        out.writerIndex(out.writerIndex() + total);
    }
}
