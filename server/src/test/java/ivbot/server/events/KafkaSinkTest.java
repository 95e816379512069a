package ivbot.server.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.server.RawHttp;
import ivbot.server.TestServer;
import ivbot.localstack.KafkaProcess;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Turn events through a real server into a real Kafka (KRaft, one node, a child JVM): every turn arrives once,
 * keyed by its session and in each session's order; with the broker killed the server answers every turn, and
 * the events held in the producer's buffer arrive once the broker is back.
 */
@Timeout(240)
class KafkaSinkTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "ivbot-turns";

    private static String chat(final TestServer server, final String token, final String sessionId, final String query)
        throws IOException
    {
        final String body = sessionId == null ? "{\"query\":\"" + query + "\"}" :
            "{\"session_id\":\"" + sessionId + "\",\"query\":\"" + query + "\"}";
        final String[] response = RawHttp.chat(server.port(), token, body);
        assertTrue(response[0].startsWith("HTTP/1.1 200"), response[0] + response[1]);
        return JSON.readTree(response[1]).path("session_id").asText();
    }

    /**
     * Reads the topic from its start until {@code expected} events matching {@code wanted} were seen (or 90 s).
     *
     * @return every event read.
     */
    private static List<JsonNode> consume(final String bootstrap, final int expected,
        final java.util.function.Predicate<JsonNode> wanted) throws IOException
    {
        final Map<String, Object> config = Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG, "test-" + System.nanoTime(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final List<JsonNode> events = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer()))
        {
            consumer.subscribe(List.of(TOPIC));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            int matching = 0;
            while (matching < expected && System.nanoTime() < deadline)
            {
                for (final ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500)))
                {
                    final JsonNode event = JSON.readTree(record.value());
                    assertEquals(record.key(), event.path("session_id").asText(), "keyed by session");
                    events.add(event);
                    matching += wanted.test(event) ? 1 : 0;
                }
            }
        }
        return events;
    }

    /** Per session, the turns in the order they were consumed (one partition per session: its order). */
    private static void assertSessionsInOrder(final List<JsonNode> events)
    {
        final Map<String, Integer> last = new HashMap<>();
        final Set<String> ids = new HashSet<>();
        for (final JsonNode e : events)
        {
            assertTrue(ids.add(e.path("event_id").asText()), "no event twice: " + e);
            final int turn = e.path("turn").asInt();
            final Integer before = last.put(e.path("session_id").asText(), turn);
            assertTrue(before == null || before < turn, "a session's turns in order: " + before + " then " + turn);
        }
    }

    @Test
    void shouldDeliverEveryTurnOnceAndKeepGoingWhileKafkaIsDown(@TempDir final Path dir) throws Exception
    {
        try (KafkaProcess kafka = KafkaProcess.start(dir))
        {
            kafka.createTopic(TOPIC, 4);
            final KafkaSink sink = KafkaSink.of("kafka://" + kafka.bootstrap() + "/" + TOPIC, 8 << 20);
            final EventLog<TurnRecord> log = new EventLog<>(
                new TurnEvents(new UserHasher("an-events-key-for-this-test-only-0123".getBytes(StandardCharsets.UTF_8))),
                sink, 4096, 1);
            try (TestServer server = TestServer.startWithEvents(log::offer))
            {
                final String token = TestServer.token("kafka-user");
                final String[] sessions = new String[3];
                for (int turn = 0; turn < 10; turn++)
                {
                    for (int s = 0; s < sessions.length; s++)
                    {
                        sessions[s] = chat(server, token, sessions[s], turn % 2 == 0 ? "校招生年假几天" : "那病假呢");
                    }
                }
                final List<JsonNode> first = consume(kafka.bootstrap(), 30, e -> true);
                assertEquals(30, first.size(), counters(log, sink));
                assertSessionsInOrder(first);

                // the broker dies: every turn is still answered (chat asserts 200), the events wait or are counted
                kafka.kill();
                for (int turn = 0; turn < 5; turn++)
                {
                    for (int s = 0; s < sessions.length; s++)
                    {
                        chat(server, token, sessions[s], "婚假几天");
                    }
                }
                kafka.start();
                // and events flow again once it is back: the turns made after the restart arrive
                for (int s = 0; s < sessions.length; s++)
                {
                    chat(server, token, sessions[s], "产假呢");
                }
                final List<JsonNode> all = consume(kafka.bootstrap(), 3, e -> e.path("turn").asInt() == 16);
                assertEquals(3, all.stream().filter(e -> e.path("turn").asInt() == 16).count(), counters(log, sink));
                assertSessionsInOrder(all);
            }
            finally
            {
                // closes the producer too: none may outlive the test
                log.close();
            }
            // every event is accounted for: acknowledged by Kafka, or counted as failed, refused or dropped
            assertEquals(48, sink.acknowledged() + sink.failed() + sink.refused() + log.dropped() + log.failed(),
                counters(log, sink));
            assertTrue(sink.acknowledged() >= 33, counters(log, sink));
        }
    }

    private static String counters(final EventLog<?> log, final KafkaSink sink)
    {
        return "written " + log.written() + ", dropped " + log.dropped() + ", log failed " + log.failed() +
            "; acknowledged " + sink.acknowledged() + ", failed " + sink.failed() + ", refused " + sink.refused();
    }

    @Test
    void shouldRefuseAMalformedEventsUri()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> KafkaSink.of("kafka://localhost/turns", 1 << 20));
        assertTrue(ex.getMessage().contains("'localhost' is not host:port"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KafkaSink.of("kafka://127.0.0.1:9092", 1 << 20));
    }
}
