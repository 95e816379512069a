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
        // whether the client sends the body anyway cannot be known (RFC 9110 lets it): answer, then close
        assertTooLarge(tooLarge, false);
        assertNull(channel.readOutbound(), "no 100 Continue and no bodiless 413");
        // a body sent without waiting, even one that reads like a request, stays body and is dropped
        final String smuggled = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
        write(channel, smuggled + "x".repeat(40 - smuggled.length()));
        assertNull(channel.readInbound(), "nothing of the body is taken as a request");
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void shouldAnswerAnUnsupportedExpectationAndDropItsBody()
    {
        final EmbeddedChannel channel = channel(1024);
        final String smuggled = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
        write(channel, "POST /v1/chat HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Length: " + smuggled.length() +
            "\r\n\r\n" + smuggled);
        final FullHttpRequest failed = next(channel);
        try
        {
            assertInstanceOf(JsonHttpObjectAggregator.ExpectationFailedException.class, failed.decoderResult().cause());
            assertEquals(0, failed.content().readableBytes());
        }
        finally
        {
            failed.release();
        }
        assertNull(channel.readOutbound(), "no interim response: the 417 is the next handler's, in order");
        assertNull(channel.readInbound(), "the body is not a request");
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
