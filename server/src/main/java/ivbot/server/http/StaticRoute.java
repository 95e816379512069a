package ivbot.server.http;

import io.netty.handler.codec.http.HttpMethod;

import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /}, {@code /ops} and {@code /static/{name}}: the browser pages packed in the jar. The dev token
 * goes only to a client on this machine, as seen through a trusted proxy. Stateless.
 */
final class StaticRoute implements HttpRoute
{
    private final StaticContent pages;

    StaticRoute(final StaticContent pages)
    {
        this.pages = pages;
    }

    @Override
    public boolean matches(final String path)
    {
        return pages.contains(path);
    }

    @Override
    public CompletableFuture<HttpAnswer.StaticPage> answer(final HttpExchange exchange)
    {
        exchange.requireMethod(HttpMethod.GET);
        final boolean loopback = exchange.client != null && exchange.client.isLoopbackAddress();
        return CompletableFuture.completedFuture(new HttpAnswer.StaticPage(pages, exchange.path, loopback));
    }
}
