package ivbot.server.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * An {@link HttpObjectAggregator} whose answer to an oversized body is the API's JSON error (413,
 * {@code payload_too_large}) instead of an empty response. The connection is closed afterwards: the rest
 * of the body is still on the wire and cannot be skipped reliably. Not sharable.
 */
public final class JsonHttpObjectAggregator extends HttpObjectAggregator
{
    /**
     * @param maxContentLength the largest body accepted, in bytes.
     */
    public JsonHttpObjectAggregator(final int maxContentLength)
    {
        super(maxContentLength);
    }

    @Override
    protected void handleOversizedMessage(final ChannelHandlerContext ctx, final HttpMessage oversized)
    {
        ctx.writeAndFlush(HttpResponses.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
            "request body exceeds " + maxContentLength() + " bytes", ctx.alloc(), false))
            .addListener(ChannelFutureListener.CLOSE);
    }
}
