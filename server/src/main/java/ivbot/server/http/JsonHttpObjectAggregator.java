package ivbot.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpContentException;

/**
 * An {@link HttpObjectAggregator} that lets the next handler answer an oversized body, in order with the
 * connection's other pipelined requests, instead of writing Netty's empty 413 itself.
 * <p>
 * An oversized request goes on as a {@link FullHttpRequest} with an empty body whose decoder result is a
 * {@link TooLongHttpContentException}; the next handler answers it 413 {@code payload_too_large}. Where the
 * rest of the body can be skipped (its {@code Content-Length} was declared and is at most
 * {@code maxDiscardBytes}, and reading is on), the aggregator discards it as it arrives and the connection
 * stays open; otherwise the request carries {@code Connection: close}. Closing a socket while the peer is
 * still sending makes the kernel answer with a reset that can destroy the 413 before the peer reads it,
 * which is why draining is preferred.
 * <p>
 * {@code Expect}, per RFC 9110: a client that asked for {@code 100-continue} may send its body anyway,
 * without waiting. So when a request with {@code Expect: 100-continue} declares a body over the limit, no
 * 100 is sent, the 413 goes out with {@code Connection: close}, and whatever body follows is discarded as
 * body, never parsed as a request (Netty's own handling resets the request decoder at that point, which
 * lets a body smuggle a second request past a proxy). An unsupported expectation is answered 417 the same
 * way, its body discarded. Not sharable.
 */
public final class JsonHttpObjectAggregator extends HttpObjectAggregator
{
    private final long maxDiscardBytes;
    private boolean closeAfterOversized;

    /**
     * @param maxContentLength the largest body accepted, in bytes.
     * @param maxDiscardBytes  the largest declared body skipped to keep the connection open, in bytes.
     */
    public JsonHttpObjectAggregator(final int maxContentLength, final long maxDiscardBytes)
    {
        super(maxContentLength);
        if (maxDiscardBytes < 0)
        {
            throw new IllegalArgumentException("maxDiscardBytes=" + maxDiscardBytes + " (expected: >= 0)");
        }
        this.maxDiscardBytes = maxDiscardBytes;
    }

    @Override
    protected Object newContinueResponse(final HttpMessage start, final int maxContentLength, final ChannelPipeline pipeline)
    {
        if (isUnsupportedExpectation(start))
        {
            // answered 417 in order by the next handler; the body (if any) is read and dropped as body
            start.setDecoderResult(DecoderResult.failure(new ExpectationFailedException()));
            start.headers().remove(HttpHeaderNames.EXPECT);
            return null;
        }
        if (HttpUtil.is100ContinueExpected(start) && isContentLengthInvalid(start, maxContentLength))
        {
            // no interim response and no decoder reset: handleOversizedMessage answers 413 in order and
            // closes, and a body the client sends anyway stays body
            closeAfterOversized = true;
            start.headers().remove(HttpHeaderNames.EXPECT);
            return null;
        }
        return super.newContinueResponse(start, maxContentLength, pipeline);
    }

    private static boolean isUnsupportedExpectation(final HttpMessage message)
    {
        final String expect = message.headers().get(HttpHeaderNames.EXPECT);
        return expect != null && message.protocolVersion().compareTo(HttpVersion.HTTP_1_1) >= 0 &&
            !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect);
    }

    /**
     * The decoder result of a request whose {@code Expect} this server does not support: answered 417.
     */
    public static final class ExpectationFailedException extends Exception
    {
        private static final long serialVersionUID = 1L;

        ExpectationFailedException()
        {
            super("unsupported expectation (only 100-continue is)", null, false, false);
        }
    }

    @Override
    protected void handleOversizedMessage(final ChannelHandlerContext ctx, final HttpMessage oversized)
    {
        if (!(oversized instanceof HttpRequest))
        {
            ctx.close();
            return;
        }
        final HttpRequest request = (HttpRequest)oversized;
        final FullHttpRequest tooLarge = new DefaultFullHttpRequest(
            request.protocolVersion(), request.method(), request.uri(), Unpooled.EMPTY_BUFFER);
        tooLarge.headers().set(request.headers());
        tooLarge.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        // an unsupported expectation with a body over the limit too: 417 it is, and the connection closes
        final boolean expectationFailed = request.decoderResult().isFailure();
        tooLarge.setDecoderResult(expectationFailed ? request.decoderResult() :
            DecoderResult.failure(new TooLongHttpContentException("request body exceeds " + maxContentLength() + " bytes")));
        closeAfterOversized |= expectationFailed;
        final long declared = HttpUtil.getContentLength(request, -1L);
        final boolean drainable = !closeAfterOversized && !(oversized instanceof FullHttpMessage) && declared >= 0 &&
            declared <= maxDiscardBytes && ctx.channel().config().isAutoRead();
        closeAfterOversized = false;
        if (!drainable)
        {
            tooLarge.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.fireChannelRead(tooLarge);
    }
}
