package ivbot.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import ivbot.server.ChatException;
import ivbot.server.auth.Principal;
import ivbot.server.metrics.MetricsReporter;
import ivbot.server.session.SessionStore;

import java.util.concurrent.CompletableFuture;

/**
 * The operator's resources, all {@code GET}: {@code /healthz} (the process is up), {@code /readyz} (the
 * session store answers and the inference thread runs; 503 when degraded; the details only with a valid
 * token), {@code /metrics}
 * (Prometheus text, no token) and {@code /v1/ops/stats} (a token with the {@code ops} role). The figures are
 * the reporter's latest snapshot. Stateless.
 */
final class OpsRoute implements HttpRoute
{
    private final SessionStore store;
    private final MetricsReporter reporter;

    OpsRoute(final SessionStore store, final MetricsReporter reporter)
    {
        this.store = store;
        this.reporter = reporter;
    }

    @Override
    public boolean matches(final String path)
    {
        return switch (path)
        {
            case "/healthz", "/readyz", "/metrics", "/v1/ops/stats" -> true;
            default -> false;
        };
    }

    @Override
    public CompletableFuture<HttpAnswer> answer(final HttpExchange exchange)
    {
        exchange.requireMethod(HttpMethod.GET);
        final HttpAnswer answer = switch (exchange.path)
        {
            case "/healthz" -> new HttpAnswer.Status(200, "status", "ok");
            case "/readyz" -> readiness(exchange);
            case "/metrics" -> new HttpAnswer.Prometheus(reporter.snapshot());
            default -> opsStats(exchange);
        };
        return CompletableFuture.completedFuture(answer);
    }

    private HttpAnswer opsStats(final HttpExchange exchange)
    {
        if (!exchange.authenticate().hasRole(Principal.OPS))
        {
            throw ChatException.forbidden("the operator figures need a token with the '" + Principal.OPS + "' role");
        }
        return new HttpAnswer.OpsStats(reporter.snapshot());
    }

    private HttpAnswer readiness(final HttpExchange exchange)
    {
        // degraded: the session store is away, or the inference thread stopped (the rules answer alone)
        final boolean inferenceStopped = reporter.inferenceStopped();
        final boolean ready = store.isReady() && !inferenceStopped;
        final String status = ready ? "ready" : "degraded";
        boolean details = false;
        if (exchange.request.headers().contains(HttpHeaderNames.AUTHORIZATION))
        {
            try
            {
                exchange.authenticate();
                details = true;
            }
            catch (final ChatException notAuthenticated)
            {
                // readiness is still answered, without the details
            }
        }
        return details ? new HttpAnswer.Status(ready ? 200 : 503, "status", status, "session_store", store.describe(),
                "inference", inferenceStopped ? "stopped" : "running") :
            new HttpAnswer.Status(ready ? 200 : 503, "status", status);
    }
}
