package ivbot.server.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.proto.TurnEvent;
import ivbot.server.Await;
import ivbot.server.TestServer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator page's "什么在被问" figures: the server's own counters over a real socket, their window and bounds,
 * and ClickHouse's absence answered by the counters.
 */
class AskedTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MINUTE = 60_000;

    private static final class Nowhere implements EventSink
    {
        final List<TurnEvent> written = new ArrayList<>();

        @Override
        public void write(final List<TurnEvent> events)
        {
            written.addAll(events);
        }

        @Override
        public String describe()
        {
            return "a list";
        }

        @Override
        public void close()
        {
        }
    }

    private static TurnEvent event(final long atMs, final String intent, final String query, final boolean unknown,
        final float latencyMs)
    {
        return TurnEvent.newBuilder().setTimestampMs(atMs).setIntent(intent).setQuery(query)
            .setNormalizedQuery(query.toLowerCase()).setUnknown(unknown).setLatencyMs(latencyMs).build();
    }

    @Test
    void shouldCountTheWindowOnlyAndKeepTheUnknownListBounded() throws Exception
    {
        final long now = 1_000 * MINUTE + 30_000;
        final Nowhere next = new Nowhere();
        final AskedStats stats = new AskedStats(next, () -> now);
        final List<TurnEvent> batch = new ArrayList<>();
        for (int i = 0; i < 100; i++)
        {
            batch.add(event(now - 5_000, "leave_annual", "年假几天", false, i + 1)); // 1..100 ms
        }
        batch.add(event(now - 61 * MINUTE, "salary", "工资多少", false, 3)); // older than the hour
        batch.add(event(now - 10 * MINUTE, "salary", "工资多少", false, 3));
        for (int i = 0; i < AskedStats.MAX_UNKNOWN_PER_MINUTE + 50; i++)
        {
            batch.add(event(now - 2 * MINUTE, "out_of_scope", "问题" + i, true, 2));
        }
        batch.add(event(now - 2 * MINUTE, "out_of_scope", "问题7", true, 2));
        stats.write(batch);
        assertEquals(batch.size(), next.written.size(), "every event goes on to the sink");

        final AskedStats.Snapshot hour = stats.snapshot(now, 60 * MINUTE, 3);
        assertEquals(100 + 1 + AskedStats.MAX_UNKNOWN_PER_MINUTE + 51, hour.turns());
        assertEquals(AskedStats.MAX_UNKNOWN_PER_MINUTE + 51, hour.unknownTurns(), "all counted, not all listed");
        final AskedStats.IntentRow annual = hour.intents().get(1);
        assertEquals("out_of_scope", hour.intents().get(0).intent(), "most asked first");
        assertEquals("leave_annual", annual.intent());
        assertEquals(100, annual.turns());
        assertEquals(50.5, annual.meanLatencyMs(), 1e-9);
        assertEquals(99, annual.p99LatencyMs(), 1.0);
        assertEquals(3, hour.unknown().size());
        assertEquals("问题7", hour.unknown().get(0).query());
        assertEquals(2, hour.unknown().get(0).count());

        final AskedStats.Snapshot fiveMinutes = stats.snapshot(now, 5 * MINUTE, 1000);
        assertEquals(100 + AskedStats.MAX_UNKNOWN_PER_MINUTE + 51, fiveMinutes.turns(), "the salary turn is 10 minutes old");
        assertEquals(AskedStats.MAX_UNKNOWN_PER_MINUTE, fiveMinutes.unknown().size(), "bounded per minute");

        // an hour later the bucket of that minute holds new turns only
        stats.write(List.of(event(now + 58 * MINUTE, "salary", "工资多少", false, 3)));
        final AskedStats.Snapshot later = stats.snapshot(now + 58 * MINUTE, 60 * MINUTE, 10);
        assertEquals(101, later.turns(), "the hour ending 58 minutes later: the annual-leave turns and the new one");
        assertEquals(0, later.unknownTurns(), "the unknowns' minute was taken over by the new turn's");
    }

    private static HttpResponse<String> get(final HttpClient client, final int port, final String path,
        final String token) throws Exception
    {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldShowWhatIsAskedOverHttp() throws Exception
    {
        final Nowhere sink = new Nowhere();
        final AskedStats asked = new AskedStats(sink, System::currentTimeMillis);
        final EventLog<TurnRecord> log = new EventLog<>(
            new TurnEvents(new UserHasher("an-events-key-for-this-test-only-0123".getBytes(StandardCharsets.UTF_8))),
            asked, 4096, 1);
        final String operator = TestServer.ISSUER.issue("operator", null, List.of("ops"), Duration.ofHours(1),
            System.currentTimeMillis());
        final HttpClient client = HttpClient.newHttpClient();
        try (TestServer server = TestServer.startWithEvents(log::offer))
        {
            server.reporter().asked(asked);
            final String token = TestServer.token("asked-user");
            for (int i = 0; i < 6; i++)
            {
                server.chat(client, token, "{\"query\":\"校招生年假几天?\"}");
                server.chat(client, token, "{\"query\":\"今天天气怎么样\"}");
            }
            for (int i = 0; i < 3; i++)
            {
                server.chat(client, token, "{\"query\":\"讲个笑话\"}");
            }
            Await.until(() -> log.written() == 15, Duration.ofSeconds(10), "15 events written");

            final HttpResponse<String> response = get(client, server.port(), "/v1/ops/asked?minutes=60", operator);
            assertEquals(200, response.statusCode(), response.body());
            final JsonNode json = JSON.readTree(response.body());
            assertEquals("server", json.path("source").asText());
            assertEquals(3600, json.path("window_s").asLong());
            assertEquals(15, json.path("turns").asLong(), json.toString());
            assertEquals(9, json.path("unknown_turns").asLong(), json.toString());
            final JsonNode first = json.path("intents").get(0);
            assertEquals("out_of_scope", first.path("intent").asText(), json.toString());
            assertEquals(9, first.path("turns").asLong());
            assertEquals("无关", first.path("zh").asText());
            assertEquals("leave_annual", json.path("intents").get(1).path("intent").asText());
            assertEquals("年假", json.path("intents").get(1).path("zh").asText());
            assertTrue(json.path("intents").get(1).path("latency_p99_ms").asDouble() > 0);
            assertEquals("今天天气怎么样", json.path("unknown").get(0).path("query").asText(), json.toString());
            assertEquals(6, json.path("unknown").get(0).path("count").asLong());
            assertEquals("讲个笑话", json.path("unknown").get(1).path("query").asText());
            assertEquals(2, json.path("unknown").size(), "the understood question is not listed");

            assertEquals(403, get(client, server.port(), "/v1/ops/asked", token).statusCode(),
                "a candidate's token may not read it");
            final HttpResponse<String> bad = get(client, server.port(), "/v1/ops/asked?minutes=0", operator);
            assertEquals(400, bad.statusCode());
            assertTrue(bad.body().contains("minutes=0"), bad.body());
        }
        finally
        {
            log.close();
        }
        assertEquals(15, sink.written.size());
        final TurnEvent weather = sink.written.get(1);
        assertTrue(weather.getUnknown(), weather.toString());
        assertTrue(!sink.written.get(0).getUnknown(), "a rules answer with its cue is understood: " + sink.written.get(0));
        assertTrue(sink.written.get(0).getDecideMs() >= 0 && sink.written.get(0).getSessionWriteMs() >= 0);
        assertTrue(sink.written.get(0).getDecideMs() + sink.written.get(0).getSessionWriteMs()
            <= sink.written.get(0).getLatencyMs() + 0.01, "the stages are parts of latency_ms");
    }

    @Test
    void shouldAnswerWithTheCountersWhenClickHouseIsAway() throws Exception
    {
        final int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            closed = socket.getLocalPort();
        }
        final AskedStats own = new AskedStats(new Nowhere(), System::currentTimeMillis);
        own.write(List.of(event(System.currentTimeMillis(), "salary", "工资多少", false, 4)));
        final ClickHouseAsked clickHouse = new ClickHouseAsked(URI.create("http://127.0.0.1:" + closed), own,
            System::currentTimeMillis, () -> "out_of_scope");
        final AskedSource.Asked asked = clickHouse.asked(60 * MINUTE, 10).get(10, TimeUnit.SECONDS);
        assertEquals("server", asked.source());
        assertTrue(asked.note().startsWith("ClickHouse at http://127.0.0.1:" + closed + " did not answer"), asked.note());
        assertEquals(1, asked.figures().turns());
    }
}
