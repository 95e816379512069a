package ivbot.analytics;

import ivbot.localstack.ClickHouseHttp;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * The Flink job: turn events from a Kafka topic into ClickHouse.
 * <pre>
 *   Kafka topic (JSON turn events, key = session id)
 *     -&gt; source: event time = timestamp_ms; watermarks: 2 s out of orderness, a quiet partition follows the wall
 *        clock after 3 s (see TurnWatermarks), so it never stalls the windows
 *     -+-&gt; DATABASE.turns    every event, as it comes
 *      +-&gt; keyBy (intent, model_version) -&gt; 5 s tumbling event-time windows, allowed lateness 30 s
 *           -&gt; DATABASE.windows   one row per window and key: turns, mean and exact P99 latency_ms,
 *                                 fallback, low-confidence and clarifying shares; re-emitted for each late event
 * </pre>
 * A late event within the allowed lateness re-fires its window (the newer row replaces the older); one later
 * than that is still stored in {@code turns} but counts in no window (Flink drops it from the window operator and
 * counts it in its {@code numLateRecordsDropped} metric).
 * <p>
 * Delivery: at least once into ReplacingMergeTree tables keyed by the event id (and by window and key), which is
 * effectively once for queries with {@code FINAL} (see {@link ClickHouseSink}). Checkpoints every second into
 * {@code --checkpoints}, retained when the job is cancelled or killed; at start the job resumes from the newest
 * complete checkpoint there (Kafka offsets, open windows), else from the consumer group's committed offsets, else
 * from the topic's start.
 * <p>
 * Runs in a local MiniCluster when started with {@code java} (the default, {@code ./ivbot analytics up}), and is
 * submitted unchanged to a cluster with {@code flink run ivbot-analytics-VERSION-flink.jar ...} (the shaded jar
 * with the Kafka connector; its manifest names this class).
 */
@Command(name = "ivbot-analytics-job", mixinStandardHelpOptions = true,
    description = "Turn events from Kafka into ClickHouse (raw turns and 5-second windows), a Flink job.")
public final class AnalyticsJob implements Callable<Integer>
{
    private static final Logger LOG = LoggerFactory.getLogger(AnalyticsJob.class);

    /** The window length. */
    static final Duration WINDOW = Duration.ofSeconds(5);

    @Option(names = "--kafka", required = true, description = "Kafka bootstrap servers, host:port[,host:port...]")
    String kafka;

    @Option(names = "--topic", defaultValue = "turns", description = "the topic of turn events (default: ${DEFAULT-VALUE})")
    String topic;

    @Option(names = "--clickhouse", required = true, description = "ClickHouse's HTTP interface, http://host:port")
    String clickhouse;

    @Option(names = "--database", defaultValue = Schema.DEFAULT_DATABASE,
        description = "the ClickHouse database (default: ${DEFAULT-VALUE})")
    String database;

    @Option(names = "--checkpoints", required = true, description = "the folder of the job's checkpoints")
    Path checkpoints;

    @Option(names = "--retention-days", defaultValue = "30",
        description = "day partitions older than this are dropped, at start and daily (default: ${DEFAULT-VALUE})")
    int retentionDays;

    @Option(names = "--parallelism", defaultValue = "1", description = "(default: ${DEFAULT-VALUE})")
    int parallelism;

    @Option(names = "--group-id", defaultValue = "ivbot-analytics",
        description = "the Kafka consumer group; offsets are committed on each checkpoint (default: ${DEFAULT-VALUE})")
    String groupId;

    @Option(names = "--checkpoint-interval-ms", defaultValue = "1000", description = "(default: ${DEFAULT-VALUE})")
    long checkpointIntervalMs;

    @Option(names = "--batch-rows", defaultValue = "5000",
        description = "a sink INSERTs when it holds this many rows, and at each checkpoint (default: ${DEFAULT-VALUE})")
    int batchRows;

    @Option(names = "--out-of-orderness-ms", defaultValue = "2000", description = "(default: ${DEFAULT-VALUE})")
    long outOfOrdernessMs;

    @Option(names = "--quiet-ms", defaultValue = "3000",
        description = "after this long without events a partition's watermark follows the wall clock (default: ${DEFAULT-VALUE})")
    long quietMs;

    @Option(names = "--allowed-lateness-ms", defaultValue = "30000", description = "(default: ${DEFAULT-VALUE})")
    long allowedLatenessMs;

    /**
     * @param args see {@code --help}.
     * @throws Exception when the job fails.
     */
    public static void main(final String[] args) throws Exception
    {
        final int rc = new CommandLine(new AnalyticsJob()).execute(args);
        if (rc != 0)
        {
            System.exit(rc);
        }
    }

    @Override
    public Integer call() throws Exception
    {
        conclude();
        Schema.create(new ClickHouseHttp(clickhouse, Duration.ofSeconds(30)), database);
        final Configuration conf = configuration();
        final StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        build(env);
        env.execute("ivbot-analytics");
        return 0;
    }

    private void conclude()
    {
        check(parallelism > 0, "parallelism", parallelism, "> 0");
        check(checkpointIntervalMs >= 100, "checkpoint-interval-ms", checkpointIntervalMs, ">= 100");
        check(outOfOrdernessMs >= 0, "out-of-orderness-ms", outOfOrdernessMs, ">= 0");
        check(quietMs > 0, "quiet-ms", quietMs, "> 0");
        check(allowedLatenessMs >= 0, "allowed-lateness-ms", allowedLatenessMs, ">= 0");
        check(batchRows > 0, "batch-rows", batchRows, "> 0");
        check(retentionDays > 0, "retention-days", retentionDays, "> 0");
        check(database.matches("[A-Za-z_][A-Za-z0-9_]*"), "database", database, "a plain identifier");
        ClickHouseHttp.baseUri(clickhouse);
    }

    private static void check(final boolean ok, final String name, final Object value, final String expected)
    {
        if (!ok)
        {
            throw new CommandLine.ParameterException(new CommandLine(new AnalyticsJob()),
                "--" + name + "=" + value + " (expected: " + expected + ")");
        }
    }

    private Configuration configuration()
    {
        final Configuration conf = new Configuration();
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(checkpointIntervalMs));
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toAbsolutePath().toUri().toString());
        conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
            ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, Integer.MAX_VALUE);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(2));
        final Optional<Path> latest = Checkpoints.latest(checkpoints);
        if (latest.isPresent())
        {
            LOG.info("resuming from checkpoint {}", latest.get());
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, latest.get().toUri().toString());
        }
        else
        {
            LOG.info("no complete checkpoint in {}: starting from the committed offsets of group {}", checkpoints, groupId);
        }
        return conf;
    }

    /**
     * Adds the job's operators to {@code env}.
     *
     * @param env the environment.
     */
    void build(final StreamExecutionEnvironment env)
    {
        final KafkaSource<Turn> source = KafkaSource.<Turn>builder()
            .setBootstrapServers(kafka)
            .setTopics(topic)
            .setGroupId(groupId)
            .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
            .setDeserializer(new TurnDeserializer())
            .setProperty("partition.discovery.interval.ms", "10000")
            .build();
        final long ooo = outOfOrdernessMs;
        final long quiet = quietMs;
        final WatermarkStrategy<Turn> watermarks = WatermarkStrategy.<Turn>forGenerator(ctx -> new TurnWatermarks(ooo, quiet))
            .withTimestampAssigner((turn, previous) -> turn.timestampMs);
        final DataStream<Turn> turns = env.fromSource(source, watermarks, "turn events").uid("turn-events");

        turns.sinkTo(new ClickHouseSink<Turn>(clickhouse, database + ".turns", TurnJson::writeRow, batchRows, null))
            .name(database + ".turns").uid("turns-sink");

        final SingleOutputStreamOperator<WindowRow> windows = turns
            .keyBy(new WindowKey())
            .window(TumblingEventTimeWindows.of(WINDOW))
            .allowedLateness(Duration.ofMillis(allowedLatenessMs))
            .aggregate(new WindowAggregate.Add(), new WindowAggregate.Emit())
            .name("5 s windows per intent and model version").uid("windows");
        windows.sinkTo(new ClickHouseSink<WindowRow>(clickhouse, database + ".windows", WindowRow::write, batchRows,
                new Retention(database, retentionDays)))
            // one writer: the retention runs once
            .setParallelism(1).name(database + ".windows").uid("windows-sink");
    }

    /** (intent, model version) as one string key. */
    static final class WindowKey implements KeySelector<Turn, String>
    {
        private static final long serialVersionUID = 1L;

        @Override
        public String getKey(final Turn t)
        {
            return t.intent + '\u0001' + t.modelVersion;
        }
    }
}
