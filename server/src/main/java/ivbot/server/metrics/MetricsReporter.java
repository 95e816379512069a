package ivbot.server.metrics;

import ivbot.inference.batch.FallbackReason;
import ivbot.inference.batch.InferenceAgent;
import ivbot.inference.model.IntentModel;
import ivbot.server.events.AskedSource;
import ivbot.server.intent.IntentClassifier;
import ivbot.server.session.SessionStore;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * The one reporter: once per interval it takes every interval histogram (the event loops' {@code Recorder}s in
 * {@link ServerMetrics} and the inference thread's {@link SingleWriterRecorder}s, each with
 * {@code getIntervalHistogram(recycled)}, so a roll allocates no histogram), adds them to the since-start
 * histograms, computes the percentiles once, sums the counters, and publishes an immutable
 * {@link MetricsSnapshot}. JMX, Prometheus and the operator page read only that snapshot.
 * <p>
 * Threads: {@link #roll()} runs on the reporter's own thread {@code ivbot-metrics} (started by
 * {@link #start(long)}), or on a test's thread; it and {@link #resetHistograms()} synchronise on this object.
 * {@link #snapshot()} is a volatile read from any thread, lock-free.
 */
public final class MetricsReporter implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(MetricsReporter.class);
    private static final int HIGHEST_BATCH = 4096;

    private final ServerMetrics metrics;
    private final IntentClassifier classifier;
    private final SessionStore store;
    private final LongSupplier nanoClock;
    private final long startNs;
    private final List<Registered> registered = new CopyOnWriteArrayList<>();
    private volatile AskedSource asked;

    // reporter state, guarded by this
    private final Map<Stage, Histogram> recycled = new EnumMap<>(Stage.class);
    private final Map<Stage, Histogram> sinceStart = new EnumMap<>(Stage.class);
    private final Map<Stage, MetricsSnapshot.Percentiles> lastInterval = new EnumMap<>(Stage.class);
    private final Histogram batchesSinceStart = new Histogram(HIGHEST_BATCH, 3);
    private MetricsSnapshot.Percentiles batchesLastInterval = MetricsSnapshot.Percentiles.EMPTY;
    private InferenceAgent recycledFrom;
    private Histogram recycledQueueWait;
    private Histogram recycledInference;
    private Histogram recycledBatches;
    private long lastRollNs;
    private long lastRollReplies;
    private double intervalSeconds;
    private double requestsPerSecond;

    private volatile MetricsSnapshot snapshot;
    private ScheduledExecutorService scheduler;

    /**
     * Makes the reporter and its first snapshot (empty intervals); rolls only when {@link #start} or
     * {@link #roll()} is called.
     *
     * @param metrics    the event loops' recorders and counters.
     * @param classifier the classifier: fallbacks, cache, and the inference agent's recorders.
     * @param store      the session store, read at each roll.
     * @param nanoClock  a monotonic clock, ns ({@code System::nanoTime}), for uptime and rates.
     */
    public MetricsReporter(final ServerMetrics metrics, final IntentClassifier classifier, final SessionStore store,
        final LongSupplier nanoClock)
    {
        if (metrics == null || classifier == null || store == null || nanoClock == null)
        {
            throw new IllegalArgumentException("metrics, classifier, store and nanoClock are required (expected: non-null)");
        }
        this.metrics = metrics;
        this.classifier = classifier;
        this.store = store;
        this.nanoClock = nanoClock;
        this.startNs = nanoClock.getAsLong();
        this.lastRollNs = startNs;
        for (final Stage stage : Stage.values())
        {
            sinceStart.put(stage, new Histogram(1, ServerMetrics.HIGHEST_US, 3));
            lastInterval.put(stage, MetricsSnapshot.Percentiles.EMPTY);
        }
        synchronized (this)
        {
            snapshot = publish();
        }
    }

    /**
     * Rolls every {@code intervalMs} on a daemon thread {@code ivbot-metrics} until {@link #close()}.
     *
     * @param intervalMs the interval, ms.
     * @return this.
     */
    public synchronized MetricsReporter start(final long intervalMs)
    {
        if (intervalMs <= 0)
        {
            throw new IllegalArgumentException("intervalMs=" + intervalMs + " (expected: > 0)");
        }
        if (scheduler != null)
        {
            throw new IllegalStateException("already started");
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread t = new Thread(r, "ivbot-metrics");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleAtFixedRate(this::scheduledRoll, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
        return this;
    }

    private void scheduledRoll()
    {
        try
        {
            roll();
        }
        catch (final RuntimeException ex)
        {
            // keep the schedule alive: a throwing task would be cancelled for good
            LOG.warn("metrics roll failed", ex);
        }
    }

    /**
     * @return the snapshot of the last roll; any thread, lock-free.
     */
    public MetricsSnapshot snapshot()
    {
        return snapshot;
    }

    /**
     * @return the recorders this reporter reads (and event loops write).
     */
    public ServerMetrics metrics()
    {
        return metrics;
    }

    /**
     * Ends an interval: takes the interval histograms, computes the figures and publishes the snapshot.
     *
     * @return the new snapshot.
     */
    public synchronized MetricsSnapshot roll()
    {
        for (final Stage stage : Stage.values())
        {
            if (stage.eventLoop())
            {
                // a recorder recycles only histograms it handed out itself
                final Histogram interval = metrics.intervalHistogram(stage, recycled.get(stage));
                recycled.put(stage, interval);
                account(stage, interval);
            }
        }
        rollInference(classifier.agent());
        final long now = nanoClock.getAsLong();
        final long replies = replies();
        intervalSeconds = Math.max(1, now - lastRollNs) / 1e9;
        requestsPerSecond = (replies - lastRollReplies) / intervalSeconds;
        lastRollReplies = replies;
        lastRollNs = now;
        snapshot = publish();
        return snapshot;
    }

    private void rollInference(final InferenceAgent agent)
    {
        if (agent != recycledFrom)
        {
            // a SingleWriterRecorder recycles only its own histograms
            recycledFrom = agent;
            recycledQueueWait = null;
            recycledInference = null;
            recycledBatches = null;
        }
        if (agent == null)
        {
            lastInterval.put(Stage.QUEUE_WAIT, MetricsSnapshot.Percentiles.EMPTY);
            lastInterval.put(Stage.INFERENCE, MetricsSnapshot.Percentiles.EMPTY);
            batchesLastInterval = MetricsSnapshot.Percentiles.EMPTY;
            return;
        }
        recycledQueueWait = interval(agent.queueWaitUs(), recycledQueueWait);
        account(Stage.QUEUE_WAIT, recycledQueueWait);
        recycledInference = interval(agent.inferenceUs(), recycledInference);
        account(Stage.INFERENCE, recycledInference);
        recycledBatches = interval(agent.batchSizes(), recycledBatches);
        batchesLastInterval = MetricsSnapshot.Percentiles.of(recycledBatches);
        batchesSinceStart.add(recycledBatches);
    }

    private static Histogram interval(final SingleWriterRecorder recorder, final Histogram recycled)
    {
        return recycled == null ? recorder.getIntervalHistogram() : recorder.getIntervalHistogram(recycled);
    }

    private void account(final Stage stage, final Histogram interval)
    {
        lastInterval.put(stage, MetricsSnapshot.Percentiles.of(interval));
        sinceStart.get(stage).add(interval);
    }

    /**
     * Forgets the latencies and batch sizes recorded so far (the JMX operation); counters keep counting.
     *
     * @return the new snapshot.
     */
    public synchronized MetricsSnapshot resetHistograms()
    {
        roll();
        for (final Stage stage : Stage.values())
        {
            sinceStart.get(stage).reset();
            lastInterval.put(stage, MetricsSnapshot.Percentiles.EMPTY);
        }
        batchesSinceStart.reset();
        batchesLastInterval = MetricsSnapshot.Percentiles.EMPTY;
        snapshot = publish();
        return snapshot;
    }

    private long replies()
    {
        long total = 0;
        for (final ReplySource source : ReplySource.values())
        {
            total += metrics.replies(source);
        }
        return total;
    }

    /**
     * Builds the snapshot from the reporter's state; holds this object's lock.
     */
    private MetricsSnapshot publish()
    {
        final Map<ReplySource, Long> requests = new EnumMap<>(ReplySource.class);
        for (final ReplySource source : ReplySource.values())
        {
            requests.put(source, metrics.replies(source));
        }
        final Map<FallbackReason, Long> fallbacks = new EnumMap<>(FallbackReason.class);
        for (final FallbackReason reason : FallbackReason.values())
        {
            fallbacks.put(reason, classifier.fallbacks(reason));
        }
        final Map<Stage, MetricsSnapshot.StageFigures> stages = new EnumMap<>(Stage.class);
        for (final Stage stage : Stage.values())
        {
            stages.put(stage, MetricsSnapshot.StageFigures.of(lastInterval.get(stage), sinceStart.get(stage)));
        }
        final InferenceAgent agent = classifier.agent();
        final IntentModel model = agent == null ? null : agent.model();
        final List<MetricsSnapshot.ModelFigures> models = model == null ? List.of() :
            List.of(new MetricsSnapshot.ModelFigures(model.version(), model.device()));
        return new MetricsSnapshot(
            (nanoClock.getAsLong() - startNs) / 1_000_000_000L,
            intervalSeconds,
            Collections.unmodifiableMap(requests),
            requestsPerSecond,
            Collections.unmodifiableMap(metrics.errors()),
            metrics.sessionErrors(),
            Collections.unmodifiableMap(fallbacks),
            classifier.cacheLookups(),
            classifier.cacheHits(),
            agent == null ? 0 : agent.queueDepth(),
            agent == null ? 0 : agent.errors(),
            models,
            Collections.unmodifiableMap(stages),
            MetricsSnapshot.BatchFigures.of(batchesLastInterval, batchesSinceStart),
            MetricsSnapshot.StoreFigures.of(store),
            JvmFigures.sample(),
            samples());
    }

    private List<MetricsSnapshot.Sample> samples()
    {
        final List<MetricsSnapshot.Sample> out = new ArrayList<>(registered.size());
        for (final Registered r : registered)
        {
            out.add(new MetricsSnapshot.Sample(r.name, r.type, r.help, r.labels, r.value.getAsLong()));
        }
        return List.copyOf(out);
    }

    /**
     * @return true when a model runtime was started and its inference thread has stopped for good (after an
     *         {@code Error}): the server still answers, by the rules alone. Read live, from any thread.
     */
    public boolean inferenceStopped()
    {
        final InferenceAgent agent = classifier.agent();
        return agent != null && agent.isClosed();
    }

    /**
     * Adds a figure of another part of the server (the request limits, the event log) to every snapshot from
     * the next roll on: Prometheus writes it as it is named, JMX lists it in {@code Samples}. Call before
     * {@link #start}, or from any thread later.
     *
     * @param name   the series name.
     * @param type   {@code counter} or {@code gauge}.
     * @param help   the HELP text (one per name: the first registration's).
     * @param labels the label set without braces, or "".
     * @param value  read at each roll, on the reporter's thread; must not block.
     * @return this.
     */
    public MetricsReporter register(final String name, final String type, final String help, final String labels,
        final LongSupplier value)
    {
        registered.add(new Registered(name, type, help, labels, value));
        return this;
    }

    private record Registered(String name, String type, String help, String labels, LongSupplier value)
    {
    }

    /**
     * Sets where the operator page's "什么在被问" panel reads ({@code /v1/ops/asked}). Call before the server
     * starts; without it the panel says that turn events are off.
     *
     * @param source the server's counters or ClickHouse.
     * @return this.
     */
    public MetricsReporter asked(final AskedSource source)
    {
        this.asked = source;
        return this;
    }

    /**
     * @return where {@code /v1/ops/asked} reads, or {@code null} when turn events are off.
     */
    public AskedSource asked()
    {
        return asked;
    }

    /**
     * Stops the schedule; the last snapshot stays readable.
     */
    @Override
    public synchronized void close()
    {
        if (scheduler != null)
        {
            scheduler.shutdownNow();
        }
    }
}
