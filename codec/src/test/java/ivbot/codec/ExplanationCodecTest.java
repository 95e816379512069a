package ivbot.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import ivbot.proto.ChatReply;
import ivbot.proto.ChatRequest;
import ivbot.proto.Explanation;
import ivbot.proto.Frame;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The explain flag and the explanation on both wires: protobuf frames through the varint frame codec, and
 * JSON replies (the JSON flag is read in {@link ChatJsonCodecTest}).
 */
class ExplanationCodecTest
{
    private static Explanation explanation()
    {
        return Explanation.newBuilder()
            .setIntent("leave_annual")
            .setModelVersion("20261125-1")
            .setLatencyMs(12.3456)
            .addTop(Explanation.Top.newBuilder().setIntent("leave_annual").setProbability(0.9871f))
            .addTop(Explanation.Top.newBuilder().setIntent("leave_sick").setProbability(0.01f))
            .addNearest(Explanation.Nearest.newBuilder().setText("年假 几天").setIntent("leave_annual").setSimilarity(0.96f))
            .addSaliency(Explanation.Token.newBuilder().setToken("年").setWeight(0.552f))
            .addSaliency(Explanation.Token.newBuilder().setToken("天").setWeight(-0.0006f))
            .build();
    }

    @Test
    void shouldCarryTheFlagAndTheExplanationThroughTheFrameCodecSplitAnywhere()
    {
        final Frame request = Frame.newBuilder().setChatRequest(ChatRequest.newBuilder()
            .setRequestId(5).setQuery("年假有几天").setExplain(true)).build();
        final Frame reply = Frame.newBuilder().setChatReply(ChatReply.newBuilder()
            .setRequestId(5).setIntent("leave_annual").setExplanation(explanation())).build();
        final EmbeddedChannel encoder = new EmbeddedChannel(VarintFrameEncoder.INSTANCE);
        assertTrue(encoder.writeOutbound(request, reply));
        final ByteBuf wire = Unpooled.buffer();
        for (ByteBuf out = encoder.readOutbound(); out != null; out = encoder.readOutbound())
        {
            wire.writeBytes(out);
            out.release();
        }
        assertFalse(encoder.finishAndReleaseAll());
        final byte[] bytes = new byte[wire.readableBytes()];
        wire.readBytes(bytes);
        wire.release();
        for (int split = 0; split <= bytes.length; split++)
        {
            final EmbeddedChannel decoder = new EmbeddedChannel(new VarintFrameDecoder(4096));
            decoder.writeInbound(Unpooled.wrappedBuffer(bytes, 0, split));
            decoder.writeInbound(Unpooled.wrappedBuffer(bytes, split, bytes.length - split));
            final Frame decodedRequest = decoder.readInbound();
            final Frame decodedReply = decoder.readInbound();
            assertTrue(decodedRequest.getChatRequest().getExplain(), "split at " + split);
            assertEquals(request, decodedRequest, "split at " + split);
            assertEquals(explanation(), decodedReply.getChatReply().getExplanation(), "split at " + split);
            assertNull(decoder.readInbound());
            assertFalse(decoder.finishAndReleaseAll());
        }
        assertFalse(ChatRequest.newBuilder().setQuery("x").build().getExplain(), "absent: false");
    }

    private static String write(final ChatReply reply)
    {
        final ByteBuf out = Unpooled.buffer();
        try
        {
            ChatJsonCodec.writeChatReply(reply, out);
            return out.toString(StandardCharsets.UTF_8);
        }
        finally
        {
            out.release();
        }
    }

    @Test
    void shouldWriteTheExplanationUnderTheReplyOnlyWhenItHasOne()
    {
        final String json = write(ChatReply.newBuilder().setSessionId("s").setIntent("leave_annual")
            .setExplanation(explanation()).build());
        assertTrue(json.endsWith(",\"explanation\":{\"intent\":\"leave_annual\",\"model_version\":\"20261125-1\"," +
            "\"latency_ms\":12.346," +
            "\"top\":[{\"intent\":\"leave_annual\",\"probability\":0.9871},{\"intent\":\"leave_sick\",\"probability\":0.01}]," +
            "\"nearest\":[{\"text\":\"年假 几天\",\"intent\":\"leave_annual\",\"similarity\":0.96}]," +
            "\"saliency\":[{\"token\":\"年\",\"weight\":0.552},{\"token\":\"天\",\"weight\":-6.0E-4}]}}"), json);

        assertFalse(write(ChatReply.newBuilder().setSessionId("s").setIntent("leave_annual").build())
            .contains("explanation"));

        final String skipped = write(ChatReply.newBuilder().setSessionId("s").setIntent("leave_annual")
            .setExplanation(Explanation.newBuilder().setSkipped("no_model")).build());
        assertTrue(skipped.endsWith(",\"explanation\":{\"skipped\":\"no_model\",\"intent\":null,\"model_version\":null," +
            "\"latency_ms\":0.0,\"top\":[],\"nearest\":[],\"saliency\":[]}}"), skipped);
    }
}
