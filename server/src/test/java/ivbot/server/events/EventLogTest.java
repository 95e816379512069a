package ivbot.server.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.proto.TurnEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class EventLogTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private static TurnEvent event(final int n)
    {
        return TurnEvent.newBuilder().setEventId("e" + n).setSessionId("s" + (n % 3)).setTurn(n).setQuery("年假几天 " + n)
            .setIntent("leave_annual").setSource("rules").setLatencyMs(0.5f).build();
    }

    /** A sink that holds its first write until released, and records every event it took. */
    private static final class GatedSink implements EventSink
    {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> ids = new ArrayList<>();
        boolean fail;

        @Override
        public void write(final List<TurnEvent> events) throws IOException
        {
            entered.countDown();
            try
            {
                release.await();
            }
            catch (final InterruptedException ex)
            {
                throw new IOException(ex);
            }
            if (fail)
            {
                throw new IOException("disk full");
            }
            for (final TurnEvent e : events)
            {
                ids.add(e.getEventId());
            }
        }

        @Override
        public String describe()
        {
            return "a gated sink";
        }

        @Override
        public void close()
        {
        }
    }

    @Test
    void shouldDropAndCountWhatDoesNotFitInsteadOfBlocking() throws Exception
    {
        final GatedSink sink = new GatedSink();
        final EventLog<TurnEvent> log = new EventLog<>(e -> e, sink, 8, 1);
        assertTrue(log.offer(event(0)));
        assertTrue(sink.entered.await(10, TimeUnit.SECONDS), "the writer took the first event and is stuck in the sink");
        int accepted = 0;
        for (int i = 1; i <= 100; i++)
        {
            accepted += log.offer(event(i)) ? 1 : 0;
        }
        assertEquals(8, accepted, "the queue's capacity, then drops");
        assertEquals(92, log.dropped());
        sink.release.countDown();
        log.close();
        assertEquals(9, log.written());
        assertEquals(9, sink.ids.size());
        assertEquals("e0", sink.ids.get(0));
        assertEquals(List.of("e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"), sink.ids.subList(1, 9), "in order");
        assertEquals(101, log.offered());
        assertFalse(log.offer(event(200)), "a closed log takes nothing");
    }

    @Test
    void shouldCountABatchTheSinkCouldNotWriteAndGoOn() throws Exception
    {
        final GatedSink sink = new GatedSink();
        sink.fail = true;
        final EventLog<TurnEvent> log = new EventLog<>(e -> e, sink, 16, 1);
        log.offer(event(0));
        assertTrue(sink.entered.await(10, TimeUnit.SECONDS));
        sink.release.countDown();
        log.close();
        assertEquals(1, log.failed());
        assertEquals(0, log.written());
    }

    @Test
    void shouldWriteJsonLinesAndRotateByDayAndSizeAndDeleteExpiredFiles(@TempDir final Path dir) throws Exception
    {
        final long day = 86_400_000L;
        final AtomicLong now = new AtomicLong(20_000 * day + 1000);
        // a file from long ago, past the 3-day retention, and one within it
        Files.writeString(dir.resolve("turns-2024-01-01-0.jsonl"), "{}\n");
        final String yesterday = java.time.LocalDate.ofEpochDay(19_999).toString();
        Files.writeString(dir.resolve("turns-" + yesterday + "-0.jsonl"), "{}\n");
        final JsonLinesFileSink sink = new JsonLinesFileSink(dir, 600, 3, now::get);
        sink.write(List.of(event(1), event(2)));
        final String today = java.time.LocalDate.ofEpochDay(20_000).toString();
        final Path first = dir.resolve("turns-" + today + "-0.jsonl");
        final List<String> lines = Files.readAllLines(first, StandardCharsets.UTF_8);
        assertEquals(2, lines.size());
        final JsonNode one = JSON.readTree(lines.get(0));
        assertEquals("e1", one.path("event_id").asText());
        assertEquals("年假几天 1", one.path("query").asText());
        assertEquals("leave_annual", one.path("intent").asText());
        assertEquals(1, one.path("turn").asInt());
        assertFalse(Files.exists(dir.resolve("turns-2024-01-01-0.jsonl")), "older than the retention: deleted");
        assertTrue(Files.exists(dir.resolve("turns-" + yesterday + "-0.jsonl")), "within the retention: kept");

        // past 600 bytes the next batch goes to the day's next file
        for (int i = 0; i < 5; i++)
        {
            sink.write(List.of(event(10 + i), event(20 + i)));
        }
        assertTrue(Files.exists(dir.resolve("turns-" + today + "-1.jsonl")), "rotated by size");
        // the next day starts its own file
        now.addAndGet(day);
        sink.write(List.of(event(99)));
        final String tomorrow = java.time.LocalDate.ofEpochDay(20_001).toString();
        assertEquals(1, Files.readAllLines(dir.resolve("turns-" + tomorrow + "-0.jsonl")).size());
        sink.close();

        // a restart goes on in a new file of the day rather than appending to one a reader may have finished
        final JsonLinesFileSink again = new JsonLinesFileSink(dir, 600, 3, now::get);
        again.write(List.of(event(100)));
        again.close();
        assertTrue(Files.exists(dir.resolve("turns-" + tomorrow + "-1.jsonl")));
        final long total;
        try (Stream<Path> files = Files.list(dir))
        {
            total = files.filter(p -> p.getFileName().toString().contains(today) ||
                    p.getFileName().toString().contains(tomorrow))
                .collect(Collectors.summingLong(p ->
                {
                    try
                    {
                        return Files.readAllLines(p).size();
                    }
                    catch (final IOException ex)
                    {
                        throw new java.io.UncheckedIOException(ex);
                    }
                }));
        }
        assertEquals(2 + 10 + 1 + 1, total, "every event written exactly once");
    }

    @Test
    void shouldHashUsersWithTheKeyAndNeverShowTheId()
    {
        final UserHasher a = new UserHasher("k".repeat(32).getBytes(StandardCharsets.UTF_8));
        final UserHasher b = new UserHasher("j".repeat(32).getBytes(StandardCharsets.UTF_8));
        assertEquals(a.hash("alice"), a.hash("alice"));
        assertEquals(32, a.hash("alice").length());
        assertNotEquals(a.hash("alice"), a.hash("bob"));
        assertNotEquals(a.hash("alice"), b.hash("alice"));
        assertFalse(a.hash("alice").contains("alice"));
        assertThrows(IllegalArgumentException.class, () -> new UserHasher(new byte[8]));
    }
}
