package ivbot.server.cli;

import ivbot.server.events.EventLog;
import ivbot.server.events.EventSink;
import ivbot.server.events.JsonLinesFileSink;
import ivbot.server.events.KafkaSink;
import ivbot.server.events.TurnEvents;
import ivbot.server.events.TurnRecord;
import ivbot.server.events.UserHasher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code ivbot events-bench --events kafka://host:port/topic [--seconds 10]}: how many turn events a second this
 * machine's event path takes: synthetic turn records offered as fast as the queue takes them, through the same
 * {@link EventLog}, {@link TurnEvents} (event id, normalising, user hash) and sink that {@code serve --events}
 * uses. Prints one line: offered, written by the log, acknowledged by Kafka (files: written), dropped, failed,
 * and events per second from the first offer to the last acknowledgement. Loads only the sink, not a server.
 */
@Command(name = "events-bench", mixinStandardHelpOptions = true,
    description = "Measure how many turn events a second the event path delivers to Kafka or files.")
final class EventsBenchCommand implements Callable<Integer>
{
    private static final String[] QUERIES = {"校招生年假几天?", "那病假呢", "社招试用期多久", "实习生有餐补吗", "今天天气怎么样"};
    private static final String[] INTENTS = {"leave_annual", "leave_sick", "probation", "allowances", "out_of_scope"};

    @Option(names = "--events", required = true, description = "kafka://host:port[,host:port...]/topic, or files (into --events-dir).")
    String events;

    @Option(names = "--events-dir", description = "Folder of the files (default: a new temporary folder).")
    Path eventsDir;

    @Option(names = "--seconds", defaultValue = "10", description = "How long to offer events (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--sessions", defaultValue = "10000", description = "Distinct session ids, the Kafka keys (default: ${DEFAULT-VALUE}).")
    int sessions;

    @Option(names = "--queue", defaultValue = "65536", description = "The event log's queue, as serve's --events-queue (default: ${DEFAULT-VALUE}).")
    int queue;

    @Override
    public Integer call() throws Exception
    {
        if (seconds < 1 || sessions < 1)
        {
            System.err.println("--seconds=" + seconds + ", --sessions=" + sessions + " (expected: >= 1)");
            return 2;
        }
        final KafkaSink kafka = events.startsWith("kafka://") ? KafkaSink.of(events, 64L << 20) : null;
        if (kafka == null && !"files".equals(events))
        {
            System.err.println("--events=" + events + " (expected: files or " + KafkaSink.FORM + ")");
            return 2;
        }
        final Path dir = eventsDir != null ? eventsDir : Files.createTempDirectory("ivbot-events-bench");
        final EventSink sink = kafka != null ? kafka :
            new JsonLinesFileSink(dir, 100L << 20, 1, System::currentTimeMillis);
        final EventLog<TurnRecord> log = new EventLog<>(new TurnEvents(
            new UserHasher("events-bench-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8))), sink, queue, 1);
        final long startNs = System.nanoTime();
        final long endNs = startNs + TimeUnit.SECONDS.toNanos(seconds);
        long offered = 0;
        while (System.nanoTime() < endNs)
        {
            // offered only while there is room: this measures what the path delivers, not what a full queue drops
            if (log.queued() >= queue - 1024)
            {
                LockSupport.parkNanos(50_000);
                continue;
            }
            final int i = (int)(offered % QUERIES.length);
            log.offer(new TurnRecord(System.currentTimeMillis(), "s-" + (offered % sessions), "user-" + (offered % 997),
                (int)(offered / sessions) + 1, QUERIES[i], INTENTS[i], "campus", 0.97f, 0.9f, "cache", "", "20261202-1",
                0.4, false, false, "", i == 4, 0.3, 0.1));
            offered++;
        }
        // closing drains the queue and closes the sink, which waits for Kafka's acknowledgements (at most 5 s)
        log.close();
        final long doneNs = System.nanoTime();
        final long delivered = kafka != null ? kafka.acknowledged() : log.written();
        final double secondsTaken = (doneNs - startNs) / 1e9;
        System.out.printf("events-bench: sink=%s offered=%d written=%d delivered=%d dropped=%d failed=%d seconds=%.2f"
                + " events_per_s=%.0f%n", kafka != null ? "kafka" : "files", offered, log.written(), delivered,
            log.dropped(), log.failed() + (kafka != null ? kafka.failed() + kafka.refused() : 0), secondsTaken,
            delivered / secondsTaken);
        return delivered == offered ? 0 : 1;
    }
}
