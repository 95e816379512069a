package ivbot.server.http;

import java.util.concurrent.CompletableFuture;

/**
 * One family of URIs of the HTTP API. {@link HttpChatHandler} asks its routes in order and gives the request
 * to the first that {@link #matches}; the route checks method and token and answers. Routes are stateless and
 * shared by all connections; both methods run on the request's event loop and may throw a
 * {@code ChatException} instead of failing the future.
 */
interface HttpRoute
{
    /**
     * @param path the raw request path.
     * @return whether this route serves it.
     */
    boolean matches(String path);

    /**
     * @param exchange the request.
     * @return the answer; completes on the request's event loop or is already complete.
     */
    CompletableFuture<? extends HttpAnswer> answer(HttpExchange exchange);
}
