package ivbot.perf;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import ivbot.codec.VarintFrameDecoder;
import ivbot.codec.VarintFrameEncoder;
import ivbot.proto.ChatReply;
import ivbot.proto.ChatRequest;
import ivbot.proto.Frame;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.List;

/**
 * A protobuf connection: pipelined {@code Frame{chat_request{request_id, session_id, query, token}}}
 * messages, each prefixed with its varint32 length, and replies matched by {@code request_id}:
 *
 * <pre>
 * client                                   server
 *   | [len][Frame{chat_request id=1}]  -->   |
 *   | [len][Frame{chat_request id=2}]  -->   |
 *   |   <--  [len][Frame{chat_reply id=1}]   |
 *   |   <--  [len][Frame{error id=2}]        |   error kind "status/code"
 * </pre>
 *
 * The token travels in every request (the server verifies it per request, as on HTTP). Confined to its
 * event loop like its base class. Frames are heap objects; the encoder's buffers are released by the
 * transport.
 */
final class FrameLoadConnection extends LoadConnection
{
    /** The largest reply frame the client accepts, bytes. */
    static final int MAX_FRAME_BYTES = 1 << 20;

    /** Pipeline handler names. */
    static final String FRAME_DECODER = "frameDecoder";
    static final String FRAME_ENCODER = "frameEncoder";

    private final Long2ObjectHashMap<LoadRequest> inFlight = new Long2ObjectHashMap<>();
    private final String token;

    /**
     * @param index        the connection's index.
     * @param eventLoop    its event loop.
     * @param channelClass the socket channel type.
     * @param config       the concluded settings.
     * @param users        its logical users.
     * @param queries      the query texts.
     * @param sampler      draws query indexes.
     * @param token        the token put in every request.
     */
    FrameLoadConnection(
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
        this.token = token;
    }

    @Override
    protected void initPipeline(final ChannelPipeline pipeline)
    {
        pipeline.addLast(FRAME_DECODER, new VarintFrameDecoder(MAX_FRAME_BYTES))
            .addLast(FRAME_ENCODER, VarintFrameEncoder.INSTANCE)
            .addLast(REPLY, new ReplyHandler());
    }

    @Override
    protected void writeRequest(final Channel ch, final LoadRequest request)
    {
        final Frame frame = Frame.newBuilder()
            .setChatRequest(ChatRequest.newBuilder()
                .setRequestId(request.id)
                .setSessionId(request.sessionId)
                .setQuery(request.query)
                .setToken(token))
            .build();
        inFlight.put(request.id, request);
        ch.write(frame, ch.voidPromise());
    }

    @Override
    protected int inFlight()
    {
        return inFlight.size();
    }

    @Override
    protected void takeInFlight(final List<LoadRequest> into)
    {
        into.addAll(inFlight.values());
        inFlight.clear();
    }

    /**
     * Matches reply and error frames to requests by id. Per channel, never shared.
     */
    private final class ReplyHandler extends SimpleChannelInboundHandler<Frame>
    {
        @Override
        protected void channelRead0(final ChannelHandlerContext ctx, final Frame frame)
        {
            switch (frame.getBodyCase())
            {
                case CHAT_REPLY:
                {
                    final ChatReply reply = frame.getChatReply();
                    final LoadRequest request = inFlight.remove(reply.getRequestId());
                    if (request != null)
                    {
                        completeReply(request, reply.getSessionId(), reply.getSource(), reply.getFallbackReason());
                    }
                    break;
                }
                case ERROR:
                {
                    final ivbot.proto.Error error = frame.getError();
                    final LoadRequest request = inFlight.remove(error.getRequestId());
                    if (request != null)
                    {
                        completeError(request, error.getStatus() + "/" + error.getCode());
                    }
                    break;
                }
                default:
                    break;
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
