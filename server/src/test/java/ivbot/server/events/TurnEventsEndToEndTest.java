package ivbot.server.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.server.HttpApiTest;
import ivbot.server.RawHttp;
import ivbot.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Turns through a real server become one JSON line each in the event files: nothing lost, nothing doubled,
 * the user's id replaced by its keyed hash.
 */
@Timeout(60)
class TurnEventsEndToEndTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldWriteOneEventPerAnsweredTurn(@TempDir final Path dir) throws Exception
    {
        final EventLog<TurnRecord> log = new EventLog<>(
            new TurnEvents(new UserHasher("an-events-key-for-this-test-only-0123".getBytes(StandardCharsets.UTF_8))),
            new JsonLinesFileSink(dir, 1 << 20, 7, System::currentTimeMillis), 4096, 1);
        final int n = 60;
        String sessionId = null;
        try (TestServer server = TestServer.startWithEvents(log::offer))
        {
            final String token = TestServer.token("events-user");
            for (int i = 0; i < n; i++)
            {
                final String body = i % 3 == 0 ? "{\"query\":\"校招生年假几天?\"}" :
                    "{\"session_id\":\"" + sessionId + "\",\"query\":\"" + (i % 3 == 1 ? "那病假呢" : "ＡＢＣ婚假呢") + "\"}";
                final String[] response = RawHttp.chat(server.port(), token, body);
                assertTrue(response[0].startsWith("HTTP/1.1 200"), response[0]);
                sessionId = JSON.readTree(response[1]).path("session_id").asText();
            }
            // a refused request is no turn
            try (Socket socket = server.connect(10_000))
            {
                socket.getOutputStream().write("POST /v1/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
                    .getBytes(StandardCharsets.US_ASCII));
                assertTrue(HttpApiTest.readResponse(socket.getInputStream())[0].startsWith("HTTP/1.1 401"));
            }
        }
        log.close();
        assertEquals(n, log.written());
        assertEquals(0, log.dropped());
        final List<JsonNode> events = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
                {
                    events.add(JSON.readTree(line));
                }
            }
        }
        assertEquals(n, events.size(), "one line per turn");
        final Set<String> ids = new HashSet<>();
        for (final JsonNode e : events)
        {
            assertTrue(ids.add(e.path("event_id").asText()), "event ids are unique");
            assertEquals(32, e.path("user_hash").asText().length());
            assertFalse(e.toString().contains("events-user"), "the user's id never leaves the server: " + e);
        }
        final JsonNode third = events.get(2);
        assertEquals(3, third.path("turn").asInt(), third.toString());
        assertEquals("ＡＢＣ婚假呢", third.path("query").asText());
        assertEquals("abc婚假呢", third.path("normalized_query").asText(), "NFKC and lower case");
        assertEquals("leave_marriage", third.path("intent").asText());
        assertEquals("campus", third.path("audience").asText());
        assertEquals("rules", third.path("source").asText());
        assertEquals("no_model", third.path("fallback_reason").asText());
        assertTrue(third.path("latency_ms").asDouble() > 0);
    }
}
