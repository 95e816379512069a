package ivbot.server.metrics;

import ivbot.inference.batch.InferenceAgent;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.SingleWriterRecorder;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Latency per stage in HdrHistograms, and request counters. Event loops record into wait-free
 * {@link Recorder}s; the inference thread's figures come from the agent's {@link SingleWriterRecorder}s.
 * {@link #roll()}, called by one reporter thread, takes each recorder's interval histogram (recycling the
 * previous one), keeps it as "last interval" and adds it to "since start". Readers (JMX, Prometheus,
 * the operator page) see the figures as of the last roll.
 * <p>
 * Recording is lock-free and allocation-free; {@link #roll()} and the readers synchronise on this object.
 * Values are microseconds, from 1 µs to 60 s, 3 significant digits.
 */
public final class ServerMetrics
{
    private static final long HIGHEST_US = 60_000_000L;

    private final Map<Stage, Recorder> recorders = new EnumMap<>(Stage.class);
    private final Map<Stage, Histogram> interval = new EnumMap<>(Stage.class);
    private final Map<Stage, Histogram> recycled = new EnumMap<>(Stage.class);
    private final Map<Stage, Histogram> sinceStart = new EnumMap<>(Stage.class);
    private final Histogram batchInterval = new Histogram(4096, 3);
    private final Histogram batchSinceStart = new Histogram(4096, 3);
    private final LongAdder replies = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder sessionErrors = new LongAdder();
    private final LongAdder[] bySource = {new LongAdder(), new LongAdder(), new LongAdder()};
    private final long startNs = System.nanoTime();
    private Supplier<InferenceAgent> agent = () -> null;
    private long lastRollNs = startNs;
    private long lastRollReplies;
    private double repliesPerSecond;

    /**
     * Makes empty metrics.
     */
    public ServerMetrics()
    {
        for (final Stage stage : Stage.values())
        {
            if (stage != Stage.QUEUE_WAIT && stage != Stage.INFERENCE)
            {
                recorders.put(stage, new Recorder(1, HIGHEST_US, 3));
            }
            interval.put(stage, new Histogram(1, HIGHEST_US, 3));
            sinceStart.put(stage, new Histogram(1, HIGHEST_US, 3));
        }
    }

    /**
     * @param agent supplies the inference agent whose recorders feed the inference stages, or null.
     */
    public void inferenceAgent(final Supplier<InferenceAgent> agent)
    {
        this.agent = agent;
    }

    /**
     * Records one value. Any thread; wait-free.
     *
     * @param stage     an event-loop stage.
     * @param latencyUs the latency in microseconds; clamped to [1, 60 s].
     */
    public void record(final Stage stage, final long latencyUs)
    {
        recorders.get(stage).recordValue(Math.min(HIGHEST_US, Math.max(1, latencyUs)));
    }

    /**
     * Records a chat reply.
     *
     * @param latencyUs its latency.
     * @param source    {@code model}, {@code cache} or {@code rules}.
     */
    public void recordReply(final long latencyUs, final String source)
    {
        record(Stage.TOTAL, latencyUs);
        replies.increment();
        bySource["model".equals(source) ? 0 : "cache".equals(source) ? 1 : 2].increment();
    }

    /**
     * Records a request answered with an error.
     */
    public void recordError()
    {
        errors.increment();
    }

    /**
     * Records a failed session read or write.
     */
    public void recordSessionError()
    {
        sessionErrors.increment();
    }

    /** @return failed session reads and writes so far. */
    public long sessionErrors()
    {
        return sessionErrors.sum();
    }

    /** @return chat replies so far. */
    public long replies()
    {
        return replies.sum();
    }

    /** @return requests answered with an error so far. */
    public long errors()
    {
        return errors.sum();
    }

    /**
     * @param source {@code model}, {@code cache} or {@code rules}.
     * @return replies from that source so far.
     */
    public long repliesFrom(final String source)
    {
        return bySource["model".equals(source) ? 0 : "cache".equals(source) ? 1 : 2].sum();
    }

    /** @return seconds since start. */
    public long uptimeSeconds()
    {
        return (System.nanoTime() - startNs) / 1_000_000_000L;
    }

    /**
     * Takes the interval histograms. Called by one reporter thread.
     */
    public synchronized void roll()
    {
        for (final Map.Entry<Stage, Recorder> entry : recorders.entrySet())
        {
            // a recorder recycles only histograms it handed out itself
            final Histogram last = recycled.get(entry.getKey());
            final Histogram next = last == null ?
                entry.getValue().getIntervalHistogram() : entry.getValue().getIntervalHistogram(last);
            recycled.put(entry.getKey(), next);
            interval.put(entry.getKey(), next);
            sinceStart.get(entry.getKey()).add(next);
        }
        final InferenceAgent inference = agent.get();
        if (inference != null)
        {
            rollSingleWriter(Stage.QUEUE_WAIT, inference.queueWaitUs());
            rollSingleWriter(Stage.INFERENCE, inference.inferenceUs());
            final Histogram batches = inference.batchSizes().getIntervalHistogram();
            batchInterval.reset();
            batchInterval.add(batches);
            batchSinceStart.add(batches);
        }
        final long now = System.nanoTime();
        final long total = replies.sum();
        repliesPerSecond = (total - lastRollReplies) * 1e9 / Math.max(1, now - lastRollNs);
        lastRollReplies = total;
        lastRollNs = now;
    }

    private void rollSingleWriter(final Stage stage, final SingleWriterRecorder recorder)
    {
        final Histogram next = recorder.getIntervalHistogram();
        final Histogram last = interval.get(stage);
        last.reset();
        last.add(next);
        sinceStart.get(stage).add(next);
    }

    /**
     * Forgets everything recorded so far (JMX operation).
     */
    public synchronized void reset()
    {
        roll();
        for (final Stage stage : Stage.values())
        {
            interval.get(stage).reset();
            sinceStart.get(stage).reset();
            if (recycled.containsKey(stage))
            {
                recycled.get(stage).reset();
            }
        }
        batchInterval.reset();
        batchSinceStart.reset();
    }

    /** @return chat replies per second over the last interval. */
    public synchronized double repliesPerSecond()
    {
        return repliesPerSecond;
    }

    /**
     * @param stage a stage.
     * @param last  true for the last interval, false for since start.
     * @return a copy of its histogram.
     */
    public synchronized Histogram histogram(final Stage stage, final boolean last)
    {
        return (last ? interval : sinceStart).get(stage).copy();
    }

    /**
     * @param last true for the last interval, false for since start.
     * @return a copy of the batch-size histogram.
     */
    public synchronized Histogram batchSizes(final boolean last)
    {
        return (last ? batchInterval : batchSinceStart).copy();
    }
}
