package ivbot.analytics;

import ivbot.localstack.ClickHouseHttp;
import ivbot.localstack.ClickHouseProcess;
import ivbot.localstack.KafkaProcess;
import ivbot.proto.TurnEvent;
import ivbot.server.Await;
import ivbot.server.events.TurnEventJson;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The real services of the analytics tests, started once per test class: a Kafka broker (KRaft, child JVM) and
 * a clickhouse-server (child process). Each test uses its own topic, database and checkpoints folder, and its own
 * job JVM ({@link JobProcess}).
 */
final class Stack implements AutoCloseable
{
    final KafkaProcess kafka;
    final ClickHouseProcess clickHouse;
    final ClickHouseHttp http;
    private final Path dir;

    Stack(final Path dir) throws IOException
    {
        this.dir = dir;
        this.clickHouse = ClickHouseProcess.start(dir.resolve("clickhouse"));
        this.http = clickHouse.http();
        this.kafka = KafkaProcess.start(dir.resolve("kafka"));
    }

    /** Starts the job on {@code topic} into {@code database}, checkpoints under the test's folder. */
    JobProcess startJob(final String topic, final String database, final String... more) throws IOException
    {
        final List<String> args = new java.util.ArrayList<>(List.of("--kafka", kafka.bootstrap(), "--topic", topic,
            "--clickhouse", clickHouse.httpUrl(), "--database", database,
            "--checkpoints", dir.resolve("checkpoints-" + database).toString(), "--group-id", "analytics-" + database));
        args.addAll(List.of(more));
        // in target/, not in the temporary folder: kept after the test for a look
        return JobProcess.start(args, Path.of("target", "test-logs", "job-" + database + ".log"), false);
    }

    /** @return a producer to the broker, {@code acks=all}. */
    KafkaProducer<String, byte[]> producer()
    {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap(),
            ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(),
            new ByteArraySerializer());
    }

    /** Sends each event, keyed by its session id (as KafkaSink does), and waits for every acknowledgement. */
    void produce(final String topic, final List<TurnEvent> events)
    {
        try (KafkaProducer<String, byte[]> producer = producer())
        {
            send(producer, topic, events);
        }
    }

    static void send(final KafkaProducer<String, byte[]> producer, final String topic, final List<TurnEvent> events)
    {
        try
        {
            final List<java.util.concurrent.Future<?>> sent = new java.util.ArrayList<>();
            for (final TurnEvent e : events)
            {
                sent.add(producer.send(new ProducerRecord<>(topic, e.getSessionId(), TurnEventJson.toBytes(e))));
            }
            for (final java.util.concurrent.Future<?> f : sent)
            {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("producing to " + topic, ex);
        }
    }

    /** Reads the topic from its start until {@code n} events were seen (or 60 s): how many of each intent. */
    Map<String, Long> intentsOnTopic(final String topic, final int n) throws IOException
    {
        final Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap(),
            ConsumerConfig.GROUP_ID_CONFIG, "check-" + topic, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final Map<String, Long> intents = new TreeMap<>();
        int seen = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
            new ByteArrayDeserializer()))
        {
            consumer.subscribe(List.of(topic));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (seen < n && System.nanoTime() < deadline)
            {
                for (final ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500)))
                {
                    intents.merge(TurnJson.parse(record.value()).intent, 1L, Long::sum);
                    seen++;
                }
            }
        }
        if (seen != n)
        {
            throw new AssertionError(seen + " events on " + topic + " (expected: " + n + ")");
        }
        return intents;
    }

    long count(final String sql)
    {
        try
        {
            final String answer = http.query(sql);
            return answer.isEmpty() ? 0 : Long.parseLong(answer);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** @return {@code key -> count} from a query of two TabSeparated columns. */
    Map<String, Long> counts(final String sql)
    {
        final Map<String, Long> counts = new TreeMap<>();
        try
        {
            for (final String line : http.query(sql).split("\n"))
            {
                if (!line.isEmpty())
                {
                    final String[] kv = line.split("\t");
                    counts.put(kv[0], Long.parseLong(kv[1]));
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return counts;
    }

    /** Waits (with a deadline) until the query answers {@code expected}. */
    void awaitCount(final String sql, final long expected, final Duration timeout)
    {
        Await.until(() -> count(sql) == expected, timeout, Duration.ofMillis(250),
            sql + " = " + expected + " (last: " + safeCount(sql) + ")");
    }

    private long safeCount(final String sql)
    {
        try
        {
            return count(sql);
        }
        catch (final RuntimeException ex)
        {
            return -1;
        }
    }

    static TurnEvent event(final String id, final long timestampMs, final String session, final int turn,
        final String intent, final String model, final float latencyMs, final float confidence,
        final String fallbackReason, final boolean clarifying)
    {
        return TurnEvent.newBuilder().setEventId(id).setTimestampMs(timestampMs).setSessionId(session)
            .setUserHash("u-" + session).setTurn(turn).setQuery("q " + id).setNormalizedQuery("q " + id)
            .setIntent(intent).setAudience("").setConfidence(confidence).setMargin(0.1f)
            .setSource(fallbackReason.isEmpty() ? "model" : "rules").setFallbackReason(fallbackReason)
            .setModelVersion(model).setCohort("").setLatencyMs(latencyMs).setContextLost(false)
            .setClarifying(clarifying).build();
    }


    @Override
    public void close() throws InterruptedException
    {
        try
        {
            kafka.close();
        }
        finally
        {
            clickHouse.close();
        }
    }
}
