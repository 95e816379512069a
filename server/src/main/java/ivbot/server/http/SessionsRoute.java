package ivbot.server.http;

import io.netty.handler.codec.http.HttpMethod;
import ivbot.server.ChatException;
import ivbot.server.ChatService;
import ivbot.server.auth.Principal;

import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /v1/sessions/{id}/heartbeat} renews a session's TTL; {@code DELETE /v1/sessions/{id}} deletes
 * it. Both need the owner's bearer token. Stateless.
 */
final class SessionsRoute implements HttpRoute
{
    private static final String PREFIX = "/v1/sessions/";
    private static final String HEARTBEAT_SUFFIX = "/heartbeat";

    private final ChatService chat;

    SessionsRoute(final ChatService chat)
    {
        this.chat = chat;
    }

    @Override
    public boolean matches(final String path)
    {
        return path.startsWith(PREFIX);
    }

    @Override
    public CompletableFuture<HttpAnswer.Status> answer(final HttpExchange exchange)
    {
        final String rest = exchange.path.substring(PREFIX.length());
        if (rest.endsWith(HEARTBEAT_SUFFIX))
        {
            final String id = rest.substring(0, rest.length() - HEARTBEAT_SUFFIX.length());
            exchange.requireMethod(HttpMethod.POST);
            final Principal principal = exchange.authenticate();
            return chat.heartbeat(principal, id).thenApply(ttl -> new HttpAnswer.Status(200, "session_id", id, "ttl_seconds", ttl));
        }
        if (rest.isEmpty() || rest.indexOf('/') >= 0)
        {
            throw ChatException.notFound("no such resource: " + exchange.path);
        }
        exchange.requireMethod(HttpMethod.DELETE);
        final Principal principal = exchange.authenticate();
        return chat.delete(principal, rest).thenApply(deleted -> new HttpAnswer.Status(200, "session_id", rest, "deleted", deleted));
    }
}
