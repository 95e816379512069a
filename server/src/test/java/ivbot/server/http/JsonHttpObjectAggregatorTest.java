package ivbot.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpContentException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonHttpObjectAggregatorTest
{
    private static final int MAX_BODY = 16;
    private static final String SMALL = "POST /v1/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd";

    private static EmbeddedChannel channel(final long maxDiscard)
    {
        return new EmbeddedChannel(new HttpServerCodec(), new JsonHttpObjectAggregator(MAX_BODY, maxDiscard));
    }

    private static void write(final EmbeddedChannel channel, final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        // one byte at a time: the aggregator must not depend on how the body is split
        for (final byte b : bytes)
        {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
    }

    private static FullHttpRequest next(final EmbeddedChannel channel)
    {
        final Object msg = channel.readInbound();
        return assertInstanceOf(FullHttpRequest.class, msg);
    }

    private static void assertTooLarge(final FullHttpRequest request, final boolean keepAlive)
    {
        try
        {
            assertInstanceOf(TooLongHttpContentException.class, request.decoderResult().cause());
            assertEquals(0, request.content().readableBytes());
            assertEquals("/v1/chat", request.uri());
            assertEquals(keepAlive, HttpUtil.isKeepAlive(request));
        }
        finally
        {
            request.release();
        }
    }

    private static void assertSmall(final FullHttpRequest request)
    {
        try
        {
            assertTrue(request.decoderResult().isSuccess());
            assertEquals("abcd", request.content().toString(StandardCharsets.US_ASCII));
        }
        finally
        {
            request.release();
        }
    }

    @Test
    void shouldPassDeclaredOversizedBodyOnInOrderAndSkipItsBytes()
    {
        final EmbeddedChannel channel = channel(1024);
        write(channel, SMALL + "POST /v1/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n" + "x".repeat(40) + SMALL);
        assertSmall(next(channel));
        assertTooLarge(next(channel), true);
        assertSmall(next(channel));
        assertNull(channel.readInbound());
        assertNull(channel.readOutbound(), "the aggregator itself writes nothing");
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void shouldAskToCloseWhenTheOverflowComesInsideAChunkedBody()
    {
        final EmbeddedChannel channel = channel(1024);
        write(channel, "POST /v1/chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n");
        assertTooLarge(next(channel), false);
        assertNull(channel.readInbound());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void shouldAskToCloseWhenTheDeclaredBodyIsTooLargeToSkip()
    {
        final EmbeddedChannel channel = channel(32);
        write(channel, "POST /v1/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n");
        assertTooLarge(next(channel), false);
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void shouldAnswerExpectContinueOverTheLimitWithoutAnInterimResponse()
    {
        final EmbeddedChannel channel = channel(1024);
        write(channel, "POST /v1/chat HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 40\r\n\r\n");
        final FullHttpRequest tooLarge = next(channel);
        assertFalse(tooLarge.headers().contains("expect"));
        assertTooLarge(tooLarge, true);
        assertNull(channel.readOutbound(), "no 100 Continue and no bodiless 413");
        // the client sends no body after a final answer: the next bytes are a new request
        write(channel, SMALL);
        assertSmall(next(channel));
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void shouldRefuseNegativeDiscardLimit()
    {
        final IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> new JsonHttpObjectAggregator(MAX_BODY, -1));
        assertEquals("maxDiscardBytes=-1 (expected: >= 0)", ex.getMessage());
    }
}
