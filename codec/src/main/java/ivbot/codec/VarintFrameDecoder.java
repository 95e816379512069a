package ivbot.codec;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import ivbot.proto.Frame;

import java.util.List;

/**
 * Decodes varint32 length-prefixed {@link Frame} messages, the framing of Netty's
 * {@code ProtobufVarint32FrameDecoder}:
 *
 * <pre>
 * BEFORE DECODE (302 bytes)       AFTER DECODE
 * +--------+---------------+      +------------------+
 * | Length | Frame bytes   |----->| Frame (parsed)   |
 * | 0xAC02 | (300 bytes)   |      |                  |
 * +--------+---------------+      +------------------+
 * </pre>
 *
 * A length over {@code maxFrameLength} raises {@link TooLongFrameException}, a malformed length or a
 * body that does not parse raises {@link CorruptedFrameException}. After the first failure the decoder
 * discards all further input: the stream can no longer be trusted and the handler is expected to answer
 * with an error frame and close. Not sharable: it keeps per-connection state. The decoder never retains
 * the inbound buffer; parsed frames are plain heap objects.
 */
public final class VarintFrameDecoder extends ByteToMessageDecoder
{
    private static final int MAX_VARINT32_BYTES = 5;

    private final int maxFrameLength;
    private boolean failed;

    /**
     * @param maxFrameLength the largest accepted frame body in bytes, excluding the length prefix.
     */
    public VarintFrameDecoder(final int maxFrameLength)
    {
        if (maxFrameLength <= 0)
        {
            throw new IllegalArgumentException("maxFrameLength=" + maxFrameLength + " (expected: > 0)");
        }
        this.maxFrameLength = maxFrameLength;
    }

    @Override
    protected void decode(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> out)
    {
        if (failed)
        {
            in.skipBytes(in.readableBytes());
            return;
        }

        final int start = in.readerIndex();
        final int length = readVarint32(in);
        if (length == NEED_MORE)
        {
            in.readerIndex(start);
            return;
        }
        if (length < 0)
        {
            fail(in);
            throw new CorruptedFrameException("malformed varint32 length prefix");
        }
        if (length > maxFrameLength)
        {
            fail(in);
            throw new TooLongFrameException("frame length " + length + " exceeds " + maxFrameLength);
        }
        if (in.readableBytes() < length)
        {
            in.readerIndex(start);
            return;
        }

        final Frame frame;
        try
        {
            frame = parse(in, length);
        }
        catch (final InvalidProtocolBufferException ex)
        {
            fail(in);
            throw new CorruptedFrameException("frame does not parse: " + ex.getMessage(), ex);
        }
        out.add(frame);
    }

    private void fail(final ByteBuf in)
    {
        failed = true;
        in.skipBytes(in.readableBytes());
    }

    private static Frame parse(final ByteBuf in, final int length) throws InvalidProtocolBufferException
    {
        final Frame frame;
        if (in.hasArray())
        {
            frame = Frame.parser().parseFrom(in.array(), in.arrayOffset() + in.readerIndex(), length);
        }
        else if (in.nioBufferCount() == 1)
        {
            frame = Frame.parseFrom(in.nioBuffer(in.readerIndex(), length));
        }
        else
        {
            frame = Frame.parseFrom(ByteBufUtil.getBytes(in, in.readerIndex(), length, false));
        }
        in.skipBytes(length);
        return frame;
    }

    private static final int NEED_MORE = Integer.MIN_VALUE;

    /**
     * Reads a varint32, or returns {@link #NEED_MORE} when the prefix is incomplete and -1 when more than
     * five bytes carry the continuation bit or the value is negative.
     */
    static int readVarint32(final ByteBuf in)
    {
        int result = 0;
        for (int i = 0; i < MAX_VARINT32_BYTES; i++)
        {
            if (!in.isReadable())
            {
                return NEED_MORE;
            }
            final byte b = in.readByte();
            result |= (b & 0x7F) << (7 * i);
            if (b >= 0)
            {
                return result < 0 ? -1 : result;
            }
        }
        return -1;
    }
}
