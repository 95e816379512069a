package ivbot.server.metrics;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The write side of the server's figures: a wait-free HdrHistogram {@link Recorder} per event-loop stage and
 * {@link LongAdder} counters keyed by enum, and errors keyed by their code in a small registry. Event loops and Redis I/O threads record here; nothing here is
 * read by a view. The one {@link MetricsReporter} takes the interval histograms and sums the counters once
 * per interval into an immutable {@link MetricsSnapshot}, which JMX, Prometheus and the operator page read.
 * <p>
 * Recording is wait-free and allocation-free. Latencies are microseconds, clamped to 1 µs .. 60 s, 3
 * significant digits. The inference stages ({@link Stage#QUEUE_WAIT}, {@link Stage#INFERENCE}) are recorded
 * by the inference thread into the agent's own {@code SingleWriterRecorder}s, not here.
 */
public final class ServerMetrics
{
    /** The largest latency recorded, µs (one minute); larger values are recorded as this. */
    public static final long HIGHEST_US = 60_000_000L;
    /**
     * The most distinct error codes counted apart (give or take racing first errors); later new codes are
     * counted under {@link #OTHER_CODE}. The server's codes are a fixed set of about 16 (see
     * {@code ChatException}), so this only bounds a mistake.
     */
    public static final int MAX_ERROR_CODES = 32;
    /** The code that errors past {@link #MAX_ERROR_CODES} distinct codes are counted under. */
    public static final String OTHER_CODE = "other";

    private final Map<Stage, Recorder> recorders = new EnumMap<>(Stage.class);
    private final LongAdder[] bySource = new LongAdder[ReplySource.values().length];
    private final ConcurrentHashMap<String, LongAdder> errorsByCode = new ConcurrentHashMap<>();
    private final LongAdder sessionErrors = new LongAdder();

    /**
     * Makes empty metrics.
     */
    public ServerMetrics()
    {
        for (final Stage stage : Stage.values())
        {
            if (stage.eventLoop())
            {
                recorders.put(stage, new Recorder(1, HIGHEST_US, 3));
            }
        }
        for (int i = 0; i < bySource.length; i++)
        {
            bySource[i] = new LongAdder();
        }
        // present from start, so that a rate over it has a zero to start from
        errorsByCode.put("internal", new LongAdder());
    }

    /**
     * Records one value. Any thread; wait-free.
     *
     * @param stage     a stage recorded off the inference thread ({@link Stage#eventLoop()}).
     * @param latencyUs the latency in microseconds; clamped to [1, 60 s].
     */
    public void record(final Stage stage, final long latencyUs)
    {
        recorders.get(stage).recordValue(Math.min(HIGHEST_US, Math.max(1, latencyUs)));
    }

    /**
     * Records a chat reply: its latency in {@link Stage#TOTAL} and one more reply from its source. Any
     * thread; wait-free.
     *
     * @param latencyUs its latency, µs.
     * @param source    the reply's {@code source}: {@code model}, {@code cache} or {@code rules}.
     */
    public void recordReply(final long latencyUs, final String source)
    {
        record(Stage.TOTAL, latencyUs);
        bySource[ReplySource.of(source).ordinal()].increment();
    }

    /**
     * Records a request answered with an error. Any thread; wait-free once the code has been seen (the first
     * error of a code adds it to the registry under the map's lock).
     *
     * @param code the machine-readable code the client got, e.g. {@code "internal"} for a 500.
     */
    public void recordError(final String code)
    {
        LongAdder counter = errorsByCode.get(code);
        if (counter == null)
        {
            counter = errorsByCode.size() < MAX_ERROR_CODES ?
                errorsByCode.computeIfAbsent(code, c -> new LongAdder()) :
                errorsByCode.computeIfAbsent(OTHER_CODE, c -> new LongAdder());
        }
        counter.increment();
    }

    /**
     * Records a failed session read or write. Any thread.
     */
    public void recordSessionError()
    {
        sessionErrors.increment();
    }

    /**
     * Takes a stage's interval histogram. Called only by the reporter's thread (a {@link Recorder} has one
     * reader).
     *
     * @param stage    a stage with a recorder here.
     * @param recycled the histogram this recorder handed out last time, or {@code null} the first time.
     * @return the values recorded since the previous call.
     */
    Histogram intervalHistogram(final Stage stage, final Histogram recycled)
    {
        return recycled == null ? recorders.get(stage).getIntervalHistogram() :
            recorders.get(stage).getIntervalHistogram(recycled);
    }

    /**
     * @param source a reply source.
     * @return replies from that source so far; any thread.
     */
    long replies(final ReplySource source)
    {
        return bySource[source.ordinal()].sum();
    }

    /** @return requests answered with an error so far, by code, in code order; a new map; any thread. */
    Map<String, Long> errors()
    {
        final Map<String, Long> out = new TreeMap<>();
        errorsByCode.forEach((code, n) -> out.put(code, n.sum()));
        return out;
    }

    /** @return failed session reads and writes so far; any thread. */
    long sessionErrors()
    {
        return sessionErrors.sum();
    }
}
