package ivbot.server.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Chat turns over real HTTP for the failover tests: {@link #turn} for one request, {@link #start} for a load
 * where each session does turns one after another (a session never has two turns in flight, as with a real
 * user). Every outcome is kept with its start and end time. Thread-safe.
 */
final class ChatLoad implements AutoCloseable
{
    /**
     * Queries that move the intent and the audience around, so that a stored session that lost a turn or
     * took one out of order shows it.
     */
    static final List<String> QUERIES = List.of(
        "校招生年假几天?", "那病假呢", "实习生呢", "试用期多久", "社招呢", "五险一金怎么交", "校招呢", "薪资怎么发");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One request's outcome. {@code status} -1: no HTTP answer (I/O error or client timeout).
     */
    record Turn(String sessionId, long startNs, long endNs, int status, int turn, String intent, String audience,
        boolean contextLost, String retryAfter, String code, String message)
    {
        long latencyUs()
        {
            return TimeUnit.NANOSECONDS.toMicros(endNs - startNs);
        }

        boolean acked()
        {
            return status == 200 && !contextLost;
        }
    }

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    private final URI chat;
    private final String token;
    private final ConcurrentLinkedQueue<Turn> turns = new ConcurrentLinkedQueue<>();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, r ->
    {
        final Thread thread = new Thread(r, "chat-load");
        thread.setDaemon(true);
        return thread;
    });
    private volatile boolean running;

    ChatLoad(final int port, final String token)
    {
        this.chat = URI.create("http://127.0.0.1:" + port + "/v1/chat");
        this.token = token;
    }

    /**
     * One turn; never throws for HTTP or I/O failures, which come back as the outcome.
     */
    Turn turn(final String sessionId, final String query)
    {
        try
        {
            return turnAsync(sessionId, query).get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
        catch (final ExecutionException ex)
        {
            throw new IllegalStateException(ex.getCause());
        }
    }

    private CompletableFuture<Turn> turnAsync(final String sessionId, final String query)
    {
        final String body = sessionId == null ? "{\"query\":\"" + query + "\"}" :
            "{\"session_id\":\"" + sessionId + "\",\"query\":\"" + query + "\"}";
        final long startNs = System.nanoTime();
        return http.sendAsync(HttpRequest.newBuilder(chat)
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())
            .handle((response, error) ->
            {
                final long endNs = System.nanoTime();
                final Turn turn;
                if (error != null)
                {
                    turn = new Turn(sessionId, startNs, endNs, -1, 0, null, null, false, null, "io", error.toString());
                }
                else
                {
                    turn = parse(sessionId, startNs, endNs, response);
                }
                turns.add(turn);
                completed.incrementAndGet();
                return turn;
            });
    }

    private static Turn parse(final String sessionId, final long startNs, final long endNs, final HttpResponse<String> response)
    {
        try
        {
            final JsonNode json = JSON.readTree(response.body());
            return new Turn(
                json.path("session_id").asText(sessionId),
                startNs, endNs, response.statusCode(),
                json.path("turn").asInt(0),
                json.path("intent").asText(null),
                json.path("audience").asText(null),
                json.path("context_lost").asBoolean(false),
                response.headers().firstValue("Retry-After").orElse(null),
                json.path("error").path("code").asText(null),
                json.path("error").path("message").asText(null));
        }
        catch (final IOException ex)
        {
            return new Turn(sessionId, startNs, endNs, response.statusCode(), 0, null, null, false, null, "json",
                response.body());
        }
    }

    /**
     * Starts the load: each session does a turn every {@code intervalMs} (the next one starts when the previous
     * answered, at the earliest {@code intervalMs} after the previous started), sessions spread evenly over the
     * interval. With many sessions this is close to an open loop: a stall shows in every session it hits.
     */
    void start(final List<String> sessions, final long intervalMs)
    {
        running = true;
        for (int i = 0; i < sessions.size(); i++)
        {
            final String sessionId = sessions.get(i);
            final long offsetMs = intervalMs * i / sessions.size();
            scheduler.schedule(() -> next(sessionId, 0, intervalMs), offsetMs, TimeUnit.MILLISECONDS);
        }
    }

    private void next(final String sessionId, final int i, final long intervalMs)
    {
        if (!running)
        {
            return;
        }
        inFlight.incrementAndGet();
        final long startNs = System.nanoTime();
        turnAsync(sessionId, QUERIES.get((i + (sessionId.hashCode() & 0x7fff)) % QUERIES.size())).whenComplete((turn, error) ->
        {
            inFlight.decrementAndGet();
            final long waitMs = intervalMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            try
            {
                scheduler.schedule(() -> next(sessionId, i + 1, intervalMs), Math.max(0, waitMs), TimeUnit.MILLISECONDS);
            }
            catch (final RejectedExecutionException ex)
            {
                // stopped
            }
        });
    }

    long completed()
    {
        return completed.get();
    }

    /**
     * Stops starting turns and waits for those in flight (each bounded by the 20 s request timeout).
     */
    void stop()
    {
        running = false;
        RedisProcesses.await(() -> inFlight.get() == 0, Duration.ofSeconds(30), "turns in flight to finish");
        scheduler.shutdownNow();
    }

    /**
     * @return every outcome so far.
     */
    List<Turn> turns()
    {
        return new ArrayList<>(turns);
    }

    /**
     * @return the outcomes of each session, in the order they started.
     */
    Map<String, List<Turn>> bySession()
    {
        final Map<String, List<Turn>> map = new TreeMap<>();
        for (final Turn turn : turns)
        {
            map.computeIfAbsent(turn.sessionId(), k -> new ArrayList<>()).add(turn);
        }
        map.values().forEach(list -> list.sort(Comparator.comparingLong(Turn::startNs)));
        return map;
    }

    /**
     * @return the latencies, in microseconds, of the outcomes that match.
     */
    Histogram latencies(final Predicate<Turn> filter)
    {
        final Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(1), 3);
        for (final Turn turn : turns)
        {
            if (filter.test(turn))
            {
                histogram.recordValue(Math.min(turn.latencyUs(), histogram.getHighestTrackableValue()));
            }
        }
        return histogram;
    }

    /**
     * GET {@code path} on the server.
     *
     * @return the status, -1 when nothing answered.
     */
    int get(final String path)
    {
        try
        {
            return http.send(HttpRequest.newBuilder(chat.resolve(path)).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
        }
        catch (final IOException ex)
        {
            return -1;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException(ex));
        }
    }

    @Override
    public void close()
    {
        stop();
    }
}
