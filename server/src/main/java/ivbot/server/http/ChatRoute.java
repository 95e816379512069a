package ivbot.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import ivbot.codec.ChatJsonCodec;
import ivbot.codec.MalformedJsonException;
import ivbot.proto.ChatRequest;
import ivbot.server.ChatException;
import ivbot.server.ChatService;
import ivbot.server.auth.Principal;
import ivbot.server.metrics.ServerMetrics;

import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /v1/chat}: a chat turn (bearer token, JSON body). Counts each reply in the metrics on the
 * event loop where {@link ChatService} completes it. Stateless.
 */
final class ChatRoute implements HttpRoute
{
    private final ChatService chat;
    private final ServerMetrics metrics;

    ChatRoute(final ChatService chat, final ServerMetrics metrics)
    {
        this.chat = chat;
        this.metrics = metrics;
    }

    @Override
    public boolean matches(final String path)
    {
        return "/v1/chat".equals(path);
    }

    @Override
    public CompletableFuture<HttpAnswer.Chat> answer(final HttpExchange exchange)
    {
        exchange.requireMethod(HttpMethod.POST);
        final Principal principal = exchange.authenticate();
        final String contentType = exchange.request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (contentType == null || !HttpUtil.getMimeType(contentType).toString().equalsIgnoreCase("application/json"))
        {
            throw new ChatException(415, "unsupported_media_type", "content type must be application/json");
        }
        final ChatRequest chatRequest;
        try
        {
            chatRequest = ChatJsonCodec.readChatRequest(exchange.request.content()).build();
        }
        catch (final MalformedJsonException ex)
        {
            throw ChatException.badRequest(ex.getMessage());
        }
        // pipelined requests behind this one wait for it: its model answer is due within its share of their deadline
        final long answerByNs = chat.connectionShare(exchange.queuedBehind, exchange.oldestQueuedNs);
        return chat.chat(principal, chatRequest, exchange.startNs, answerByNs, exchange.ctx.executor()).thenApply(reply ->
        {
            metrics.recordReply((long)(reply.getLatencyMs() * 1000.0), reply.getSource());
            return new HttpAnswer.Chat(reply);
        });
    }
}
