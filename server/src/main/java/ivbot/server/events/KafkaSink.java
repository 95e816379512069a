package ivbot.server.events;

import ivbot.proto.TurnEvent;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import ivbot.server.LogThrottle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turn events to a Kafka topic, keyed by session id so that a session's events stay in order in one
 * partition; the value is the event's JSON ({@link TurnEventJson}). An idempotent producer with
 * {@code acks=all}, lz4 compression and batching (20 ms linger, 64 KiB batches).
 * <p>
 * It never blocks a request, and the writer thread for at most 2 s a send ({@code max.block.ms}: waiting
 * for a topic's metadata, which a producer must fetch again after the broker comes back, or for room in the
 * buffer): with Kafka away and the producer's buffer ({@code bufferBytes}) full, an event is refused and
 * counted in {@link #refused()}, and the event log's own bounded queue drops what comes meanwhile (counted
 * there); events
 * the broker never acknowledged within the delivery timeout are counted in {@link #failed()}. The producer
 * reconnects by itself, and events flow again when Kafka returns. Used by one thread (see {@link EventSink}),
 * the counters read from any.
 */
public final class KafkaSink implements EventSink
{
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSink.class);

    /** The form of {@code --events}: {@code kafka://host:port[,host:port...]/topic}. */
    public static final String FORM = "kafka://host:port[,host:port...]/topic";

    private static final int MAX_BLOCK_MS = 2_000;

    private final Producer<String, byte[]> producer;
    private final String topic;
    private final String describe;
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final LogThrottle failures = new LogThrottle(10_000_000_000L);

    /**
     * @param bootstrap   {@code host:port[,host:port...]}.
     * @param topic       the topic.
     * @param bufferBytes the producer's buffer for events not yet sent.
     */
    public KafkaSink(final String bootstrap, final String topic, final long bufferBytes)
    {
        final Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "ivbot-events");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, bufferBytes);
        // the writer thread may wait this long for a topic's metadata or for room in the buffer, not longer
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK_MS);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
        props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 2_000);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        this.topic = topic;
        this.describe = "Kafka topic " + topic + " at " + bootstrap;
    }

    /**
     * @param uri {@value #FORM}.
     * @param bufferBytes the producer's buffer for events not yet sent.
     * @return the sink.
     * @throws IllegalArgumentException when the URI is not of that form.
     */
    public static KafkaSink of(final String uri, final long bufferBytes)
    {
        final String[] parsed = parse(uri);
        return new KafkaSink(parsed[0], parsed[1], bufferBytes);
    }

    /**
     * @param uri {@value #FORM}.
     * @return the bootstrap servers and the topic.
     * @throws IllegalArgumentException when the URI is not of that form.
     */
    public static String[] parse(final String uri)
    {
        final String rest = uri.startsWith("kafka://") ? uri.substring("kafka://".length()) : null;
        final int slash = rest == null ? -1 : rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1 || rest.indexOf('/', slash + 1) >= 0)
        {
            throw new IllegalArgumentException("--events=" + uri + " (expected: files, off or " + FORM + ")");
        }
        for (final String server : rest.substring(0, slash).split(","))
        {
            final URI hostPort = URI.create("kafka://" + server);
            if (hostPort.getHost() == null || hostPort.getPort() < 0)
            {
                throw new IllegalArgumentException("--events=" + uri + ": '" + server + "' is not host:port");
            }
        }
        return new String[] {rest.substring(0, slash), rest.substring(slash + 1)};
    }

    @Override
    public void write(final List<TurnEvent> events)
    {
        for (final TurnEvent event : events)
        {
            try
            {
                producer.send(new ProducerRecord<>(topic, event.getSessionId(), TurnEventJson.toBytes(event)), (meta, error) ->
                {
                    if (error == null)
                    {
                        acknowledged.incrementAndGet();
                    }
                    else
                    {
                        failed.incrementAndGet();
                        if (failures.tryAcquire())
                        {
                            LOG.warn("turn events not delivered to {}: {} ({} such warnings suppressed)", describe,
                                error.toString(), failures.suppressed());
                        }
                    }
                });
            }
            catch (final KafkaException ex)
            {
                // the buffer is full (Kafka has been away for a while): this event is dropped, counted
                refused.incrementAndGet();
            }
        }
    }

    /** @return events Kafka acknowledged. */
    public long acknowledged()
    {
        return acknowledged.get();
    }

    /** @return events sent but never acknowledged within the delivery timeout. */
    public long failed()
    {
        return failed.get();
    }

    /** @return events refused at once because the producer's buffer was full. */
    public long refused()
    {
        return refused.get();
    }

    @Override
    public String describe()
    {
        return describe;
    }

    @Override
    public void close()
    {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
