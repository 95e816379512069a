package ivbot.analytics;

import ivbot.proto.TurnEvent;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.server.Await;
import ivbot.server.RawHttp;
import ivbot.server.TestServer;
import ivbot.server.events.AskedSource;
import ivbot.server.events.AskedStats;
import ivbot.server.events.ClickHouseAsked;
import ivbot.server.events.EventLog;
import ivbot.server.events.KafkaSink;
import ivbot.server.events.TurnEvents;
import ivbot.server.events.TurnRecord;
import ivbot.server.events.UserHasher;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job end to end on real processes: Kafka (KRaft, child JVM) → the Flink job (its own JVM, local
 * MiniCluster) → clickhouse-server. Each test has its own topic and database.
 * <p>
 * The delivery guarantee under test: at least once into ReplacingMergeTree tables keyed by the event id (and by
 * window and key), effectively once for queries with {@code FINAL}: after a SIGKILL of the job in the middle of
 * the stream and a restart from its checkpoint, {@code count() FINAL} and {@code uniqExact(event_id)} are exactly
 * the events sent, and the windows add up to them.
 */
@Timeout(150)
class AnalyticsJobTest
{
    private static final String[] INTENTS = {"leave_annual", "leave_sick", "salary_day", "onboarding_docs", "fallback"};
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    private static Stack stack;

    @BeforeAll
    static void startServices() throws Exception
    {
        stack = new Stack(dir);
    }

    @AfterAll
    static void stopServices() throws Exception
    {
        if (stack != null)
        {
            stack.close();
        }
    }

    /**
     * 2,000 events sent at 500 a second, stamped when sent (as the server stamps them); the job is killed
     * (SIGKILL) while they flow, once some are stored, and started again from its newest checkpoint while the
     * sending goes on: every event is in {@code turns FINAL} once, and the windows count each once.
     * <p>
     * With merges of {@code turns} stopped, the duplicates stay visible: the first run checkpoints every 5 s, the
     * sending starts right after its first checkpoint and the kill comes after 100 rows are stored, before the
     * next checkpoint; those rows are stored again by the second run, which resumes from the checkpoint taken
     * before them. So {@code count()} exceeds N (at least once) while {@code count() FINAL} is N (effectively once).
     */
    @Test
    void shouldStoreEachEventOnceAndCountItOnceAcrossAKillOfTheJob() throws Exception
    {
        final String db = "kill_test";
        stack.kafka.createTopic(db, 4);
        final int n = 2_000;
        final Map<String, Long> expected = new TreeMap<>();
        for (int i = 0; i < n; i++)
        {
            expected.merge(INTENTS[i % INTENTS.length], 1L, Long::sum);
        }
        final Path checkpoints = dir.resolve("checkpoints-" + db);
        java.nio.file.Files.deleteIfExists(Path.of("target", "test-logs", "job-" + db + ".log"));
        Schema.create(stack.http, db);
        stack.http.query("SYSTEM STOP MERGES " + db + ".turns");
        // small batches: rows are inserted between checkpoints too, and the kill leaves some after the last one
        JobProcess job = stack.startJob(db, db, "--batch-rows", "50", "--checkpoint-interval-ms", "5000");
        long atKillRows = -1;
        final Thread sender = new Thread(() -> send(db, n), "sender");
        try
        {
            // the job runs once it has taken a checkpoint
            final Path log = job.log();
            Await.until(() -> Checkpoints.latest(checkpoints).isPresent(), TIMEOUT, Duration.ofMillis(100),
                "the job's first checkpoint (log: " + log + ")");
            sender.start();
            final String stored = "SELECT count() FROM " + db + ".turns FINAL";
            Await.until(() -> stack.count(stored) >= 100, TIMEOUT, Duration.ofMillis(20), "100 stored");
            job.kill();
            final long atKill = stack.count(stored);
            atKillRows = atKill;
            assertTrue(atKill < n, "killed in the middle of the stream: " + atKill + " of " + n + " stored");
            job = stack.startJob(db, db, "--batch-rows", "50");
            sender.join(TIMEOUT.toMillis());
            assertTrue(!sender.isAlive(), "all sent");
            stack.awaitCount(stored, n, TIMEOUT);
            stack.awaitCount("SELECT sum(turns) FROM " + db + ".windows FINAL", n, TIMEOUT);
        }
        finally
        {
            sender.join(TIMEOUT.toMillis());
            job.close();
        }
        assertTrue(java.nio.file.Files.readString(job.log()).contains("resuming from checkpoint"),
            "the second run resumed from a checkpoint (log: " + job.log() + ")");
        assertEquals(n, stack.count("SELECT uniqExact(event_id) FROM " + db + ".turns FINAL"));
        assertEquals(n, stack.count("SELECT count() FROM " + db + ".turns FINAL"));
        final long raw = stack.count("SELECT count() FROM " + db + ".turns");
        assertTrue(raw > n && raw <= n + atKillRows,
            "rows stored before the kill and after the last checkpoint were stored again: " + raw + " (" + atKillRows +
            " stored at the kill)");
        assertEquals(expected, stack.counts("SELECT intent, count() FROM " + db + ".turns FINAL GROUP BY intent"));
        assertEquals(expected, stack.counts("SELECT intent, sum(turns) FROM " + db + ".windows FINAL GROUP BY intent"));
        // no window row twice after FINAL, and the shares are what was sent: every 10th a fallback, every 4th unsure
        assertEquals(stack.count("SELECT uniqExact(window_start, intent, model_version) FROM " + db + ".windows"),
            stack.count("SELECT count() FROM " + db + ".windows FINAL"));
        assertEquals(n / 10, stack.count("SELECT toUInt64(round(sum(fallback_share * turns))) FROM " + db + ".windows FINAL"));
        assertEquals(n / 4, stack.count("SELECT toUInt64(round(sum(low_confidence_share * turns))) FROM " + db + ".windows FINAL"));
        assertEquals(286, stack.count("SELECT toUInt64(round(sum(clarifying_share * turns))) FROM " + db + ".windows FINAL"));
        assertEquals(54, stack.count("SELECT toUInt64(max(latency_p99_ms)) FROM " + db + ".windows FINAL"));
        System.out.println("kill test: " + atKillRows + " rows stored at the kill; " + raw + " rows without FINAL, " +
            stack.count("SELECT count() FROM " + db + ".turns FINAL") + " with FINAL");
    }

    /** Sends event i at 2 ms * i from the first, in batches of 50, each stamped when its batch goes. */
    private static void send(final String topic, final int n)
    {
        final long start = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = stack.producer())
        {
            for (int batch = 0; batch < n; batch += 50)
            {
            java.util.concurrent.locks.LockSupport.parkNanos(start + batch * 2_000_000L - System.nanoTime());
            final long now = System.currentTimeMillis();
            final List<TurnEvent> events = new ArrayList<>();
            for (int i = batch; i < Math.min(n, batch + 50); i++)
            {
                events.add(Stack.event("k-" + i, now, "s-" + (i % 97), i / 97, INTENTS[i % INTENTS.length],
                    i % 3 == 0 ? "m2" : "m1", 5 + i % 50, i % 4 == 0 ? 0.4f : 0.9f, i % 10 == 0 ? "deadline" : "",
                    i % 7 == 0));
            }
            Stack.send(producer, topic, events);
            }
        }
    }

    /**
     * Turns answered by a real ivbot server (rules only, in process) whose events go through its KafkaSink: every
     * turn it answered is stored once, per intent as the server logged it (read back from the topic), and counted
     * in the windows.
     */
    @Test
    void shouldStoreAndCountTheTurnsOfARealServer() throws Exception
    {
        final String db = "server_test";
        stack.kafka.createTopic(db, 4);
        final KafkaSink sink = KafkaSink.of("kafka://" + stack.kafka.bootstrap() + "/" + db, 8 << 20);
        final EventLog<TurnRecord> log = new EventLog<>(
            new TurnEvents(new UserHasher("an-events-key-for-this-test-only-0123".getBytes(StandardCharsets.UTF_8))),
            sink, 4096, 1);
        final String[] queries = {"校招生年假几天", "那病假呢", "婚假几天", "产假呢", "工资几号发", "今天天气怎么样"};
        final int sessions = 20;
        try (TestServer server = TestServer.startWithEvents(log::offer))
        {
            final String token = TestServer.token("analytics-user");
            for (int s = 0; s < sessions; s++)
            {
                String session = null;
                for (final String query : queries)
                {
                    final String body = session == null ? "{\"query\":\"" + query + "\"}" :
                        "{\"session_id\":\"" + session + "\",\"query\":\"" + query + "\"}";
                    final String[] response = RawHttp.chat(server.port(), token, body);
                    assertTrue(response[0].startsWith("HTTP/1.1 200"), response[0] + response[1]);
                    session = JSON.readTree(response[1]).path("session_id").asText();
                }
            }
        }
        finally
        {
            log.close();
        }
        final int n = sessions * queries.length;
        assertEquals(n, sink.acknowledged(), "every turn's event acknowledged by Kafka");
        final Map<String, Long> sent = stack.intentsOnTopic(db, n);
        try (JobProcess job = stack.startJob(db, db))
        {
            stack.awaitCount("SELECT count() FROM " + db + ".turns FINAL", n, TIMEOUT);
            stack.awaitCount("SELECT sum(turns) FROM " + db + ".windows FINAL", n, TIMEOUT);
        }
        assertEquals(n, stack.count("SELECT uniqExact(event_id) FROM " + db + ".turns FINAL"));
        assertEquals(sent, stack.counts("SELECT intent, count() FROM " + db + ".turns FINAL GROUP BY intent"));
        assertEquals(sent, stack.counts("SELECT intent, sum(turns) FROM " + db + ".windows FINAL GROUP BY intent"));
        assertEquals(sessions, stack.count("SELECT uniqExact(session_id) FROM " + db + ".turns FINAL"));
        assertEquals(n, stack.count("SELECT count() FROM " + db + ".turns FINAL WHERE turn BETWEEN 1 AND " +
            queries.length + " AND user_hash != '' AND query != ''"));
        assertEquals(sessions, stack.count("SELECT count() FROM " + db + ".turns FINAL WHERE unknown = 1"),
            "the weather question is the one not understood");

        // the operator page's 什么在被问, read from these tables as serve --analytics reads them
        final AskedStats own = new AskedStats(new TestServer.DiscardSink(), System::currentTimeMillis);
        final AskedSource.Asked asked = new ClickHouseAsked(URI.create(stack.clickHouse.httpUrl() + "/" + db), own,
            System::currentTimeMillis, () -> "out_of_scope").asked(3_600_000, 10).get(10, TimeUnit.SECONDS);
        assertEquals("clickhouse", asked.source(), asked.note());
        assertEquals(n, asked.figures().turns());
        assertEquals(sent.size(), asked.figures().intents().size());
        for (final AskedStats.IntentRow row : asked.figures().intents())
        {
            assertEquals(sent.get(row.intent()), row.turns(), row.intent());
            assertTrue(row.meanLatencyMs() > 0 && row.p99LatencyMs() >= row.meanLatencyMs() * 0.5, row.toString());
        }
        assertEquals(1, asked.figures().unknown().size(), asked.figures().unknown().toString());
        assertEquals("今天天气怎么样", asked.figures().unknown().get(0).query());
        assertEquals(sessions, asked.figures().unknown().get(0).count());
    }

    /**
     * A late event within the allowed lateness (30 s) re-emits its window with it; one later than that is stored
     * in {@code turns} but counted in no window.
     */
    @Test
    void shouldUpdateAWindowForALateEventAndLeaveOutOneBeyondTheLateness() throws Exception
    {
        final String db = "late_test";
        stack.kafka.createTopic(db, 4);
        final long t0 = System.currentTimeMillis();
        final long windowStart = t0 - t0 % 5_000;
        final String window = db + ".windows FINAL WHERE intent = 'late_probe'";
        try (JobProcess job = stack.startJob(db, db))
        {
            stack.produce(db, List.of(probe("on-time", t0)));
            // the window closes when the watermark passes its end (the quiet partitions follow the wall clock)
            stack.awaitCount("SELECT sum(turns) FROM " + window, 1, TIMEOUT);
            stack.produce(db, List.of(probe("late-within", t0)));
            stack.awaitCount("SELECT sum(turns) FROM " + window, 2, TIMEOUT);
            // then one 60 s old (its window closed for good), and after it, in the same partition, one more within
            stack.produce(db, List.of(probe("too-late", t0 - 60_000), probe("late-within-2", t0)));
            stack.awaitCount("SELECT sum(turns) FROM " + window, 3, TIMEOUT);
            stack.awaitCount("SELECT count() FROM " + db + ".turns FINAL WHERE intent = 'late_probe'", 4, TIMEOUT);
        }
        assertEquals(1, stack.count("SELECT count() FROM " + window));
        assertEquals(windowStart / 1000, stack.count("SELECT toUInt32(window_start) FROM " + window));
        assertEquals(0, stack.count("SELECT count() FROM " + window + " AND window_start < toDateTime(" +
            windowStart / 1000 + ")"), "the too-late event is in no window");
        assertEquals(1, stack.count("SELECT count() FROM " + db + ".turns FINAL WHERE event_id = 'too-late'"),
            "the too-late event is stored in turns");
    }

    private static TurnEvent probe(final String id, final long timestampMs)
    {
        return Stack.event(id, timestampMs, "late-session", 1, "late_probe", "m1", 10, 0.9f, "", false);
    }

    /**
     * Day partitions older than the retention are dropped when the job starts; younger ones stay.
     */
    @Test
    void shouldDropDayPartitionsOlderThanTheRetentionWhenTheJobStarts() throws Exception
    {
        final String db = "retention_test";
        stack.kafka.createTopic(db, 1);
        Schema.create(stack.http, db);
        final LocalDate today = LocalDate.now(ZoneOffset.UTC);
        for (final int daysAgo : new int[] {45, 31, 29, 0})
        {
            final LocalDate day = today.minusDays(daysAgo);
            final byte[] turn = ("{\"event_id\":\"r-" + daysAgo + "\",\"time\":\"" + day + " 12:00:00\",\"day\":\"" + day + "\"}\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            stack.http.insertJsonEachRow(db + ".turns", turn, turn.length);
            final byte[] window = ("{\"window_start\":\"" + day + " 12:00:00\",\"day\":\"" + day + "\",\"turns\":1}\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            stack.http.insertJsonEachRow(db + ".windows", window, window.length);
        }
        assertEquals(4, stack.count("SELECT count() FROM " + db + ".turns"));
        try (JobProcess job = stack.startJob(db, db, "--retention-days", "30"))
        {
            stack.awaitCount("SELECT count() FROM " + db + ".windows", 2, TIMEOUT);
            stack.awaitCount("SELECT count() FROM " + db + ".turns", 2, TIMEOUT);
        }
        assertEquals("r-0\nr-29", stack.http.query("SELECT event_id FROM " + db + ".turns ORDER BY event_id"));
        assertEquals(2, stack.count("SELECT count() FROM system.parts WHERE database = '" + db +
            "' AND table = 'windows' AND active"));
    }
}
