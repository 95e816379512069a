package ivbot.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpExpectationFailedEvent;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
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
 * {@code Expect: 100-continue} with a declared length over the limit is answered the same way (and no
 * 100 is sent), so that it too carries the JSON error body. Not sharable.
 */
public final class JsonHttpObjectAggregator extends HttpObjectAggregator
{
    private final long maxDiscardBytes;

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
        if (HttpUtil.is100ContinueExpected(start) && isContentLengthInvalid(start, maxContentLength))
        {
            // no interim response: handleOversizedMessage answers with the final one, in order; the event
            // resets the request decoder, since a client told 413 before "100 Continue" sends no body
            pipeline.fireUserEventTriggered(HttpExpectationFailedEvent.INSTANCE);
            start.headers().remove(HttpHeaderNames.EXPECT);
            return null;
        }
        return super.newContinueResponse(start, maxContentLength, pipeline);
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
        tooLarge.setDecoderResult(DecoderResult.failure(new TooLongHttpContentException(
            "request body exceeds " + maxContentLength() + " bytes")));
        final long declared = HttpUtil.getContentLength(request, -1L);
        final boolean drainable = !(oversized instanceof FullHttpMessage) && declared >= 0 &&
            declared <= maxDiscardBytes && ctx.channel().config().isAutoRead();
        if (!drainable)
        {
            tooLarge.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.fireChannelRead(tooLarge);
    }
}
