package ivbot.server.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The "什么在被问" figures of every instance, from the ClickHouse tables the analytics job fills
 * ({@code ivbot.windows}: 5-second windows per intent; {@code ivbot.turns}: the raw turns), read over ClickHouse's
 * HTTP interface with the JDK's client (ClickHouse 18.16 speaks it; the queries use {@code FINAL}, since both
 * tables de-duplicate by key). Per intent the P99 is the worst 5-second window's P99 in the hour, an upper bound
 * of the hour's P99 (windows cannot be merged exactly).
 * <p>
 * A read that fails or takes longer than {@link #TIMEOUT} answers with the server's own counters and says why.
 * The result is kept {@link #CACHE_MS} ms, so a page polling every few seconds costs ClickHouse two queries per
 * interval at most. Thread-safe.
 */
public final class ClickHouseAsked implements AskedSource
{
    /** How long a read may take before the counters answer. */
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    /** How long a result is reused. */
    static final long CACHE_MS = 5_000;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final URI base;
    private final String database;
    private final AskedSource fallback;
    private final LongSupplier clockMs;
    private final Supplier<String> fallbackIntent;
    private final HttpClient client;
    private volatile Cached cached;

    /**
     * @param base           ClickHouse's HTTP address, e.g. {@code http://127.0.0.1:8123}, with the database as its
     *                       path when it is not {@code ivbot} ({@code http://127.0.0.1:8123/ivbot_test}).
     * @param fallback       answers when ClickHouse does not: the server's counters.
     * @param clockMs        wall clock, epoch ms.
     * @param fallbackIntent the serving catalog's fallback intent id (a question answered with it was not
     *                       understood; the raw table's {@code unknown} flag says the rest).
     */
    public ClickHouseAsked(final URI base, final AskedSource fallback, final LongSupplier clockMs,
        final Supplier<String> fallbackIntent)
    {
        if (!"http".equals(base.getScheme()) || base.getHost() == null)
        {
            throw new IllegalArgumentException("--analytics=" + base + " (expected: http://host:port of ClickHouse)");
        }
        final String path = base.getPath() == null ? "" : base.getPath().replace("/", "");
        if (!path.matches("[A-Za-z0-9_]*"))
        {
            throw new IllegalArgumentException("--analytics=" + base + " (expected: http://host:port[/database])");
        }
        this.base = base;
        this.database = path.isEmpty() ? "ivbot" : path;
        this.fallback = fallback;
        this.clockMs = clockMs;
        this.fallbackIntent = fallbackIntent;
        this.client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    }

    @Override
    public CompletableFuture<Asked> asked(final long windowMs, final int topUnknown)
    {
        final long now = clockMs.getAsLong();
        final Cached last = cached;
        if (last != null && last.windowMs == windowMs && last.top == topUnknown && now - last.atMs < CACHE_MS)
        {
            return CompletableFuture.completedFuture(last.asked);
        }
        final long seconds = Math.max(60, Math.min(3600, windowMs / 1000));
        final String intents = "SELECT intent, sum(turns) AS n, sum(turns * latency_mean_ms) / sum(turns) AS mean_ms,"
            + " max(latency_p99_ms) AS p99_ms FROM " + database + ".windows FINAL WHERE window_start >= now() - " + seconds
            + " GROUP BY intent ORDER BY n DESC, intent FORMAT JSON";
        final String unknown = "SELECT normalized_query, any(query) AS q, any(intent) AS i, count() AS n"
            + " FROM " + database + ".turns FINAL WHERE time >= now() - " + seconds + " AND (unknown = 1 OR intent = '"
            + fallbackIntent.get().replace("'", "") + "') GROUP BY normalized_query ORDER BY n DESC, normalized_query"
            + " LIMIT " + topUnknown + " FORMAT JSON";
        final CompletableFuture<JsonNode> a = query(intents);
        final CompletableFuture<JsonNode> b = query(unknown);
        return a.thenCombine(b, (byIntent, byQuery) ->
        {
            final Asked asked = new Asked("clickhouse", "", figures(seconds * 1000, byIntent, byQuery));
            cached = new Cached(now, windowMs, topUnknown, asked);
            return asked;
        }).exceptionallyCompose(error -> fallback.asked(windowMs, topUnknown).thenApply(own ->
            new Asked(own.source(), "ClickHouse at " + base + " did not answer: " + reason(error), own.figures())));
    }

    private CompletableFuture<JsonNode> query(final String sql)
    {
        final HttpRequest request = HttpRequest.newBuilder(base.resolve("/?query="
                + URLEncoder.encode(sql, StandardCharsets.UTF_8)))
            .timeout(TIMEOUT).GET().build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response ->
        {
            if (response.statusCode() != 200)
            {
                throw new IllegalStateException("HTTP " + response.statusCode() + ": "
                    + new String(response.body(), StandardCharsets.UTF_8).lines().findFirst().orElse(""));
            }
            try
            {
                return MAPPER.readTree(response.body()).path("data");
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException("unreadable answer: " + ex.getMessage(), ex);
            }
        });
    }

    private static AskedStats.Snapshot figures(final long windowMs, final JsonNode byIntent, final JsonNode byQuery)
    {
        final List<AskedStats.IntentRow> intents = new ArrayList<>();
        long turns = 0;
        for (final JsonNode row : byIntent)
        {
            // ClickHouse's JSON writes 64-bit integers as strings
            final long n = row.path("n").asLong();
            turns += n;
            intents.add(new AskedStats.IntentRow(row.path("intent").asText(), n, row.path("mean_ms").asDouble(),
                row.path("p99_ms").asDouble()));
        }
        final List<AskedStats.UnknownRow> unknown = new ArrayList<>();
        long unknownTurns = 0;
        for (final JsonNode row : byQuery)
        {
            final long n = row.path("n").asLong();
            unknownTurns += n;
            unknown.add(new AskedStats.UnknownRow(row.path("q").asText(), row.path("normalized_query").asText(),
                row.path("i").asText(), n));
        }
        // unknownTurns: of the listed questions only (a full count would be a third query)
        return new AskedStats.Snapshot(windowMs, turns, unknownTurns, intents, unknown);
    }

    private static String reason(final Throwable error)
    {
        Throwable cause = error;
        while (cause.getCause() != null && cause != cause.getCause())
        {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }

    private record Cached(long atMs, long windowMs, int top, Asked asked)
    {
    }
}
