package ivbot.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import ivbot.proto.ChatRequest;
import ivbot.proto.Frame;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VarintFrameCodecTest
{
    private static Frame chat(final long requestId, final String query)
    {
        return Frame.newBuilder()
            .setChatRequest(ChatRequest.newBuilder().setRequestId(requestId).setQuery(query).setSessionId("abc"))
            .build();
    }

    private static byte[] encode(final Frame... frames) throws IOException
    {
        final ByteBuf buf = Unpooled.buffer();
        for (final Frame frame : frames)
        {
            VarintFrameEncoder.writeFrame(frame, buf);
        }
        final byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        return bytes;
    }

    @Test
    void shouldDecodeFramesSplitAtEveryByteBoundary() throws IOException
    {
        // a 300-character query makes a two-byte length prefix
        final Frame first = chat(1, "年假".repeat(150));
        final Frame second = chat(2, "那病假呢");
        final byte[] bytes = encode(first, second);
        for (int split = 0; split <= bytes.length; split++)
        {
            final EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(4096));
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, 0, split));
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, split, bytes.length - split));
            assertEquals(first, ch.readInbound(), "split at " + split);
            assertEquals(second, ch.readInbound(), "split at " + split);
            assertNull(ch.readInbound());
            assertFalse(ch.finishAndReleaseAll());
        }
    }

    @Test
    void shouldDecodeFramesFedOneByteAtATime() throws IOException
    {
        final byte[] bytes = encode(chat(7, "试用期多久"), chat(8, "工资打几折"), chat(9, ""));
        final EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(4096));
        for (final byte b : bytes)
        {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        assertEquals(7, ch.<Frame>readInbound().getChatRequest().getRequestId());
        assertEquals(8, ch.<Frame>readInbound().getChatRequest().getRequestId());
        assertEquals(9, ch.<Frame>readInbound().getChatRequest().getRequestId());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void shouldRejectOversizeFrameBeforeItsBodyArrives()
    {
        final EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(100));
        final ByteBuf prefix = Unpooled.buffer();
        prefix.writeByte(0xE5).writeByte(0x01); // 229
        final DecoderException ex = assertThrows(DecoderException.class, () -> ch.writeInbound(prefix));
        assertInstanceOf(TooLongFrameException.class, ex);
        // later input is discarded, never decoded
        assertFalse(ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void shouldRejectMalformedVarint()
    {
        final EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(100));
        final ByteBuf bad = Unpooled.wrappedBuffer(new byte[] {(byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFF, 1});
        final DecoderException ex = assertThrows(DecoderException.class, () -> ch.writeInbound(bad));
        assertInstanceOf(CorruptedFrameException.class, ex);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void shouldRejectGarbageBody()
    {
        final EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(100));
        // length 3, then a tag with wire type 7, which protobuf does not define
        final ByteBuf bad = Unpooled.wrappedBuffer(new byte[] {3, 0x0F, 0x01, 0x02});
        final DecoderException ex = assertThrows(DecoderException.class, () -> ch.writeInbound(bad));
        assertInstanceOf(CorruptedFrameException.class, ex);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void shouldNeverEmitFramesFromSeededRandomGarbage()
    {
        final Random random = new Random(42);
        for (int round = 0; round < 500; round++)
        {
            final byte[] junk = new byte[1 + random.nextInt(64)];
            random.nextBytes(junk);
            final EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(32));
            try
            {
                ch.writeInbound(Unpooled.wrappedBuffer(junk));
            }
            catch (final DecoderException expected)
            {
                assertTrue(expected instanceof CorruptedFrameException || expected instanceof TooLongFrameException);
            }
            Object msg;
            while ((msg = ch.readInbound()) != null)
            {
                assertInstanceOf(Frame.class, msg);
            }
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void shouldEncodeWhatTheDecoderReads()
    {
        final EmbeddedChannel ch = new EmbeddedChannel(VarintFrameEncoder.INSTANCE, new VarintFrameDecoder(4096));
        final Frame frame = chat(42, "校招生年假几天?");
        assertTrue(ch.writeOutbound(frame));
        final ByteBuf wire = ch.readOutbound();
        assertEquals(frame.getSerializedSize() + 1, wire.readableBytes());
        ch.writeInbound(wire);
        assertEquals(frame, ch.readInbound());
        assertFalse(ch.finishAndReleaseAll());
    }
}
