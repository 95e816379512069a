package ivbot.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.server.ChatException;
import ivbot.server.ChatService;
import ivbot.server.auth.Principal;
import ivbot.server.events.AskedSource;
import ivbot.server.events.AskedStats;
import ivbot.server.metrics.MetricsReporter;
import ivbot.server.session.SessionStore;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The operator's resources, all {@code GET}: {@code /healthz} (the process is up), {@code /readyz} (the
 * session store answers and the inference thread runs; 503 when degraded; the details only with a valid
 * token), {@code /metrics}
 * (Prometheus text, no token), {@code /v1/ops/stats} (a token with the {@code ops} role; the reporter's latest
 * snapshot) and {@code /v1/ops/asked?minutes=60} (the same token: "什么在被问", per intent the turns and latency of
 * the last minutes, at most 60, and the questions not understood, from {@link MetricsReporter#asked()}). Stateless.
 */
final class OpsRoute implements HttpRoute
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int TOP_UNKNOWN = 20;

    private final ChatService chat;
    private final SessionStore store;
    private final MetricsReporter reporter;

    OpsRoute(final ChatService chat, final MetricsReporter reporter)
    {
        this.chat = chat;
        this.store = chat.store();
        this.reporter = reporter;
    }

    @Override
    public boolean matches(final String path)
    {
        return switch (path)
        {
            case "/healthz", "/readyz", "/metrics", "/v1/ops/stats", "/v1/ops/asked" -> true;
            default -> false;
        };
    }

    @Override
    public CompletableFuture<HttpAnswer> answer(final HttpExchange exchange)
    {
        exchange.requireMethod(HttpMethod.GET);
        if ("/v1/ops/asked".equals(exchange.path))
        {
            return asked(exchange);
        }
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
        requireOps(exchange);
        return new HttpAnswer.OpsStats(reporter.snapshot());
    }

    private static void requireOps(final HttpExchange exchange)
    {
        if (!exchange.authenticate().hasRole(Principal.OPS))
        {
            throw ChatException.forbidden("the operator figures need a token with the '" + Principal.OPS + "' role");
        }
    }

    private CompletableFuture<HttpAnswer> asked(final HttpExchange exchange)
    {
        requireOps(exchange);
        final List<String> values = new QueryStringDecoder(exchange.request.uri()).parameters()
            .getOrDefault("minutes", List.of("60"));
        final int minutes;
        try
        {
            minutes = Integer.parseInt(values.get(0));
        }
        catch (final NumberFormatException ex)
        {
            throw ChatException.badRequest("minutes=" + values.get(0) + " (expected: 1 to 60)");
        }
        if (minutes < 1 || minutes > 60)
        {
            throw ChatException.badRequest("minutes=" + minutes + " (expected: 1 to 60)");
        }
        final AskedSource source = reporter.asked();
        if (source == null)
        {
            final ObjectNode off = MAPPER.createObjectNode().put("source", "off")
                .put("note", "turn events are off (--events off): nothing is counted");
            return CompletableFuture.completedFuture(new HttpAnswer.JsonText(200, off.toString()));
        }
        final IntentCatalog catalog = chat.catalog();
        return source.asked(minutes * 60_000L, TOP_UNKNOWN)
            .thenApply(asked -> new HttpAnswer.JsonText(200, askedJson(asked, catalog).toString()));
    }

    static ObjectNode askedJson(final AskedSource.Asked asked, final IntentCatalog catalog)
    {
        final AskedStats.Snapshot s = asked.figures();
        final ObjectNode json = MAPPER.createObjectNode()
            .put("source", asked.source())
            .put("note", asked.note())
            .put("window_s", s.windowMs() / 1000)
            .put("turns", s.turns())
            .put("unknown_turns", s.unknownTurns());
        final ArrayNode intents = json.putArray("intents");
        for (final AskedStats.IntentRow row : s.intents())
        {
            final Intent intent = catalog.fromId(row.intent());
            intents.addObject()
                .put("intent", row.intent())
                .put("zh", intent == null ? row.intent() : intent.zh())
                .put("turns", row.turns())
                .put("latency_mean_ms", row.meanLatencyMs())
                .put("latency_p99_ms", row.p99LatencyMs());
        }
        final ArrayNode unknown = json.putArray("unknown");
        for (final AskedStats.UnknownRow row : s.unknown())
        {
            unknown.addObject()
                .put("query", row.query())
                .put("normalized_query", row.normalizedQuery())
                .put("intent", row.intent())
                .put("count", row.count());
        }
        return json;
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
