package ivbot.server.frame;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import ivbot.proto.AuthOk;
import ivbot.proto.ChatReply;
import ivbot.proto.ChatRequest;
import ivbot.proto.Error;
import ivbot.proto.Frame;
import ivbot.proto.Heartbeat;
import ivbot.proto.HeartbeatAck;
import ivbot.server.ChatException;
import ivbot.server.ChatService;
import ivbot.server.LingeringClose;
import ivbot.server.SerialRequestHandler;
import ivbot.server.RequestGuard;
import ivbot.server.auth.Principal;
import ivbot.server.metrics.ServerMetrics;
import ivbot.server.metrics.Stage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;

/**
 * The protobuf transport: {@link Frame}s in, {@link Frame}s out. A connection authenticates with an
 * {@code Auth} frame (answered by {@code AuthOk} or an {@code Error}); a {@code ChatRequest} or
 * {@code Heartbeat} carrying its own token runs as that token's subject instead. Requests are answered in
 * arrival order, each reply or error echoing its {@code request_id}. A request-level failure answers an
 * {@code Error} frame and keeps the connection; a frame that is too long or does not parse answers an
 * {@code Error} frame and closes it. Every error is counted by its code; an unexpected failure (a 500,
 * {@code internal}) is also logged once at ERROR with its cause and the request's {@code request_id}, as the
 * HTTP transport logs its method and path. Not sharable: holds the connection's principal.
 */
public final class FrameChatHandler extends SerialRequestHandler<Frame>
{
    private static final Logger LOG = LoggerFactory.getLogger(FrameChatHandler.class);

    private final ChatService chat;
    private final RequestGuard guard;
    private final ServerMetrics metrics;
    private Principal connectionPrincipal;
    private InetAddress client;

    /**
     * @param chat       the chat service.
     * @param guard      the request front: tokens and rate limits.
     * @param metrics    where replies and errors are counted.
     * @param maxPending the most pipelined frames queued before reading pauses.
     */
    public FrameChatHandler(final ChatService chat, final RequestGuard guard, final ServerMetrics metrics,
        final int maxPending)
    {
        super(Frame.class, maxPending);
        this.chat = chat;
        this.guard = guard;
        this.metrics = metrics;
    }

    @Override
    protected CompletableFuture<?> process(final ChannelHandlerContext ctx, final Frame frame)
    {
        try
        {
            if (client == null)
            {
                client = guard.clientAddress(ctx.channel().remoteAddress(), null);
            }
            guard.admitAddress(client);
            switch (frame.getBodyCase())
            {
                case AUTH:
                    connectionPrincipal = null;
                    final Principal principal = guard.authenticate(frame.getAuth().getToken());
                    connectionPrincipal = principal;
                    return CompletableFuture.completedFuture(Frame.newBuilder().setAuthOk(AuthOk.newBuilder()
                        .setSubject(principal.subject())
                        .setExpiresAt(principal.expiresAtEpochMs() == Long.MAX_VALUE ? 0 : principal.expiresAtEpochMs() / 1000))
                        .build());
                case CHAT_REQUEST:
                    final ChatRequest request = frame.getChatRequest();
                    return chat.chat(principal(request.getToken()), request, arrivalNanos(),
                        chat.connectionShare(queuedBehind(), oldestQueuedArrivalNanos()), ctx.executor())
                        .thenApply(reply -> Frame.newBuilder().setChatReply(reply).build());
                case HEARTBEAT:
                    final Heartbeat heartbeat = frame.getHeartbeat();
                    return chat.heartbeat(principal(heartbeat.getToken()), heartbeat.getSessionId())
                        .thenApply(ttl -> Frame.newBuilder().setHeartbeatAck(HeartbeatAck.newBuilder()
                            .setRequestId(heartbeat.getRequestId())
                            .setSessionId(heartbeat.getSessionId())
                            .setTtlSeconds(ttl)).build());
                default:
                    throw ChatException.badRequest(frame.getBodyCase() == Frame.BodyCase.BODY_NOT_SET ?
                        "empty frame: expected Auth, ChatRequest or Heartbeat" :
                        "a client may not send " + frameName(frame) + " (expected: Auth, ChatRequest or Heartbeat)");
            }
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    private static String frameName(final Frame frame)
    {
        final String name = frame.getBodyCase().name().toLowerCase(java.util.Locale.ROOT);
        final StringBuilder camel = new StringBuilder(name.length());
        boolean upper = true;
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (c == '_')
            {
                upper = true;
                continue;
            }
            camel.append(upper ? Character.toUpperCase(c) : c);
            upper = false;
        }
        return camel.toString();
    }

    private Principal principal(final String token)
    {
        if (!token.isEmpty())
        {
            return guard.authenticate(token);
        }
        if (connectionPrincipal == null)
        {
            throw ChatException.unauthorized("not authenticated: send an Auth frame or a token with the request");
        }
        try
        {
            return guard.admit(connectionPrincipal);
        }
        catch (final ChatException ex)
        {
            if (ex.status() == 401)
            {
                connectionPrincipal = null;
            }
            throw ex;
        }
    }

    @Override
    protected boolean respond(final ChannelHandlerContext ctx, final Frame frame, final Object result, final Throwable error)
    {
        if (error == null)
        {
            final Frame reply = (Frame)result;
            if (reply.hasChatReply())
            {
                metrics.recordReply((long)(reply.getChatReply().getLatencyMs() * 1000.0), reply.getChatReply().getSource());
            }
            ctx.write(result, ctx.voidPromise());
            return true;
        }
        final ChatException ex = ChatException.of(error);
        metrics.recordError(ex.code());
        if (ex.status() == 500)
        {
            // as the HTTP side: one ERROR line with the cause, naming the request; the client sees only "internal"
            LOG.error("request failed with 500 internal: {} request_id={}", frameName(frame), requestId(frame), error);
        }
        ctx.write(errorFrame(requestId(frame), ex.code(), ex.getMessage(), ex.status(), ex.retryAfterSeconds()),
            ctx.voidPromise());
        return true;
    }

    private static long requestId(final Frame frame)
    {
        switch (frame.getBodyCase())
        {
            case CHAT_REQUEST:
                return frame.getChatRequest().getRequestId();
            case HEARTBEAT:
                return frame.getHeartbeat().getRequestId();
            default:
                return 0;
        }
    }

    /**
     * @param requestId the request id to echo, 0 when none.
     * @param code      the error code.
     * @param message   the message.
     * @param status    the equivalent HTTP status.
     * @return an {@code Error} frame.
     */
    public static Frame errorFrame(final long requestId, final String code, final String message, final int status)
    {
        return errorFrame(requestId, code, message, status, 0);
    }

    /**
     * @param requestId         the request id to echo, 0 when none.
     * @param code              the error code.
     * @param message           the message.
     * @param status            the equivalent HTTP status.
     * @param retryAfterSeconds when the client may retry, 0 when not said.
     * @return an {@code Error} frame.
     */
    public static Frame errorFrame(final long requestId, final String code, final String message, final int status,
        final long retryAfterSeconds)
    {
        return Frame.newBuilder().setError(Error.newBuilder()
            .setRequestId(requestId).setCode(code).setMessage(message).setStatus(status)
            .setRetryAfterSeconds((int)Math.min(Integer.MAX_VALUE, retryAfterSeconds))).build();
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        final Frame error;
        if (cause instanceof TooLongFrameException)
        {
            error = errorFrame(0, "frame_too_large", cause.getMessage(), 413);
        }
        else if (cause instanceof DecoderException)
        {
            // the parser's message names protobuf internals; the client needs only to know it was not a frame
            error = errorFrame(0, "bad_frame", "not a valid ivbot.v1.Frame", 400);
        }
        else
        {
            LOG.debug("closing protobuf connection after unexpected error", cause);
            error = errorFrame(0, "internal", "internal error", 500);
        }
        ctx.writeAndFlush(error).addListener(LingeringClose.INSTANCE);
    }
}
