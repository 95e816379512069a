package ivbot.perf;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import ivbot.codec.ChatJsonCodec;

import java.util.ArrayDeque;
import java.util.List;

/**
 * A keep-alive HTTP/1.1 connection that pipelines {@code POST /v1/chat} requests with JSON bodies
 * {@code {"session_id"?, "query"}} and a bearer token. HTTP answers pipelined requests in order, so
 * replies are matched first-in first-out. A 200 reply counts as success; any other status counts as the
 * error kind {@code status/code} ({@code code} from the {@code {"error": {"code": ...}}} body). Under
 * {@code --raw} the body is not read: any 200 is a success, any other status the error kind {@code status}.
 * <p>
 * Confined to its event loop like its base class. Each channel gets its own {@link ReplyHandler}.
 */
final class HttpLoadConnection extends LoadConnection
{
    /** The largest reply the client aggregates, bytes. */
    static final int MAX_REPLY_BYTES = 1 << 20;

    /** Pipeline handler names. */
    static final String HTTP_CODEC = "httpCodec";
    static final String HTTP_AGGREGATOR = "httpAggregator";

    private final ArrayDeque<LoadRequest> inFlight = new ArrayDeque<>();
    private final String path;
    private final AsciiString hostHeader;
    private final AsciiString authorization;
    private final boolean raw;

    /**
     * @param index        the connection's index.
     * @param eventLoop    its event loop.
     * @param channelClass the socket channel type.
     * @param config       the concluded settings ({@code host}, {@code port}, {@code path}).
     * @param users        its logical users.
     * @param queries      the query texts.
     * @param sampler      draws query indexes.
     * @param token        the bearer token.
     */
    HttpLoadConnection(
        final int index,
        final EventLoop eventLoop,
        final Class<? extends Channel> channelClass,
        final BenchConfig config,
        final int users,
        final List<String> queries,
        final ZipfSampler sampler,
        final String token)
    {
        super(index, eventLoop, channelClass, config, users, queries, sampler);
        this.path = config.path;
        this.hostHeader = AsciiString.cached(config.host + ":" + config.port);
        this.authorization = AsciiString.cached("Bearer " + token);
        this.raw = config.raw;
    }

    @Override
    protected void initPipeline(final ChannelPipeline pipeline)
    {
        pipeline.addLast(HTTP_CODEC, new HttpClientCodec())
            .addLast(HTTP_AGGREGATOR, new HttpObjectAggregator(MAX_REPLY_BYTES))
            .addLast(REPLY, new ReplyHandler());
    }

    @Override
    protected void writeRequest(final Channel ch, final LoadRequest request)
    {
        final ByteBuf body = ch.alloc().buffer(32 + request.sessionId.length() + request.query.length() * 3);
        if (request.sessionId.isEmpty())
        {
            ChatJsonCodec.writeObject(body, "query", request.query);
        }
        else
        {
            ChatJsonCodec.writeObject(body, "session_id", request.sessionId, "query", request.query);
        }
        final FullHttpRequest http = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path, body);
        http.headers()
            .set(HttpHeaderNames.HOST, hostHeader)
            .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
            .set(HttpHeaderNames.AUTHORIZATION, authorization)
            .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        inFlight.add(request);
        ch.write(http, ch.voidPromise());
    }

    @Override
    protected int inFlight()
    {
        return inFlight.size();
    }

    @Override
    protected void takeInFlight(final List<LoadRequest> into)
    {
        into.addAll(inFlight);
        inFlight.clear();
    }

    /**
     * Matches replies to requests in order. Per channel, never shared; the response is released by
     * {@link SimpleChannelInboundHandler}.
     */
    private final class ReplyHandler extends SimpleChannelInboundHandler<FullHttpResponse>
    {
        @Override
        protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpResponse response)
        {
            if (response.decoderResult().isFailure())
            {
                ctx.close();
                return;
            }
            final LoadRequest request = inFlight.poll();
            if (request == null)
            {
                return;
            }
            final int status = response.status().code();
            if (raw)
            {
                if (status == 200)
                {
                    completeReply(request, "", "", "");
                }
                else
                {
                    completeError(request, Integer.toString(status));
                }
                return;
            }
            final JsonReplyReader.Reply reply = JsonReplyReader.read(response.content());
            if (status == 200 && reply != JsonReplyReader.UNREADABLE)
            {
                completeReply(request, reply.sessionId(), reply.source(), reply.fallbackReason());
            }
            else
            {
                completeError(request, reply.errorCode().isEmpty() ? Integer.toString(status) : status + "/" + reply.errorCode());
            }
        }

        @Override
        public void channelInactive(final ChannelHandlerContext ctx) throws Exception
        {
            onClosed(ctx.channel());
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            ctx.close();
        }
    }
}
