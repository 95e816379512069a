package ivbot.perf;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one run measures. Written concurrently by the client's event loops (replies, errors) and by the
 * dispatching thread (the open-loop scheduler, or an event loop in a closed loop); read once, by the
 * thread that runs the run, after all requests are finished ({@link #outstanding()} is 0) or aborted.
 * <p>
 * Only requests whose intended send time falls in the measured window {@code [measureStartNs,
 * measureEndNs)} are counted: warmup requests are excluded by when they were due, not by when they
 * completed. Latencies go into HdrHistogram {@link Recorder}s (wait-free for writers), in microseconds,
 * from 1 µs to 60 s with 3 significant digits; longer values are clamped to 60 s.
 * <p>
 * Progress accounting: {@link #onIssued} must be called before a request can finish, and in a closed loop
 * the next request of a slot is issued before the previous one finishes, so {@link #outstanding()} only
 * reaches 0 when the load has really stopped.
 */
final class BenchStats
{
    /** Smallest discernible latency, µs. */
    static final long LOWEST_US = 1;
    /** Highest trackable latency, µs (60 s). */
    static final long HIGHEST_US = 60_000_000L;
    /** Significant decimal digits of the histograms. */
    static final int DIGITS = 3;

    /** Error kind of a request that got no reply within the timeout. */
    static final String TIMEOUT = "timeout";
    /** Error kind of a request that could not be sent because no connection could be made. */
    static final String CONNECT_ERROR = "connect_error";
    /** Error kind of a request in flight on a connection that closed. */
    static final String CONNECTION_CLOSED = "connection_closed";

    private final long measureStartNs;
    private final long measureEndNs;
    private final long timeoutNs;

    private final Recorder responseTimeUs = newRecorder();
    private final Recorder serviceTimeUs = newRecorder();

    private final LongAdder issued = new LongAdder();
    private final LongAdder finished = new LongAdder();
    private final LongAdder measuredIssued = new LongAdder();
    private final LongAdder ok = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder fallbacks = new LongAdder();
    private final LongAdder cacheHits = new LongAdder();
    private final LongAdder backpressure = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> errorsByKind = new ConcurrentHashMap<>();
    private final LongAccumulator lastCompletionNs = new LongAccumulator(Long::max, Long.MIN_VALUE);
    private final LongAccumulator maxDispatchLagNs = new LongAccumulator(Long::max, 0);

    /**
     * @param measureStartNs first intended send time that is measured ({@link System#nanoTime()}).
     * @param measureEndNs   end of the measured window, exclusive.
     * @param timeoutNs      a reply later than this after its intended time counts as {@link #TIMEOUT}.
     */
    BenchStats(final long measureStartNs, final long measureEndNs, final long timeoutNs)
    {
        if (measureEndNs - measureStartNs <= 0)
        {
            throw new IllegalArgumentException("measure window " + (measureEndNs - measureStartNs) + " ns (expected: > 0)");
        }
        if (timeoutNs <= 0)
        {
            throw new IllegalArgumentException("timeoutNs=" + timeoutNs + " (expected: > 0)");
        }
        this.measureStartNs = measureStartNs;
        this.measureEndNs = measureEndNs;
        this.timeoutNs = timeoutNs;
    }

    private static Recorder newRecorder()
    {
        return new Recorder(LOWEST_US, HIGHEST_US, DIGITS);
    }

    /**
     * @param intendedNs a request's intended send time.
     * @return whether the request is in the measured window.
     */
    boolean isMeasured(final long intendedNs)
    {
        return intendedNs - measureStartNs >= 0 && intendedNs - measureEndNs < 0;
    }

    long measureStartNs()
    {
        return measureStartNs;
    }

    long measureEndNs()
    {
        return measureEndNs;
    }

    /**
     * Counts a request handed to a connection. Called by the dispatching thread before the request can
     * finish.
     *
     * @param intendedNs   its intended send time.
     * @param dispatchedNs when it was handed over; the lag behind {@code intendedNs} shows a saturated client.
     */
    void onIssued(final long intendedNs, final long dispatchedNs)
    {
        issued.increment();
        if (isMeasured(intendedNs))
        {
            measuredIssued.increment();
            maxDispatchLagNs.accumulate(dispatchedNs - intendedNs);
        }
    }

    /**
     * Counts a request that had to wait in the client because its connection had the most requests in
     * flight. Its latency still runs from its intended time.
     *
     * @param request the request.
     */
    void onBackpressure(final LoadRequest request)
    {
        if (isMeasured(request.intendedNs))
        {
            backpressure.increment();
        }
    }

    /**
     * Records a successful reply.
     *
     * @param request        the request.
     * @param nowNs          when the reply was read.
     * @param source         the reply's {@code source}.
     * @param fallbackReason the reply's {@code fallback_reason}, empty when none.
     */
    void onReply(final LoadRequest request, final long nowNs, final String source, final String fallbackReason)
    {
        if (isMeasured(request.intendedNs))
        {
            final long latencyNs = nowNs - request.intendedNs;
            if (latencyNs > timeoutNs)
            {
                recordTimeout(request, nowNs);
            }
            else
            {
                responseTimeUs.recordValue(toUs(latencyNs));
                serviceTimeUs.recordValue(toUs(nowNs - request.sentNs));
                ok.increment();
                if ("cache".equals(source))
                {
                    cacheHits.increment();
                }
                else if ("rules".equals(source) && fallbackReason != null && !fallbackReason.isEmpty())
                {
                    fallbacks.increment();
                }
                lastCompletionNs.accumulate(nowNs);
            }
        }
        finished.increment();
    }

    /**
     * Records a failed request: an error reply, a connect error or a closed connection. Its latency is not
     * recorded (an error can be faster than any answer and would flatter the percentiles).
     *
     * @param request the request.
     * @param nowNs   when the failure was seen.
     * @param kind    {@code status/code} of an error reply, or {@link #CONNECT_ERROR}, {@link #CONNECTION_CLOSED}.
     */
    void onError(final LoadRequest request, final long nowNs, final String kind)
    {
        if (isMeasured(request.intendedNs))
        {
            countError(kind);
            lastCompletionNs.accumulate(nowNs);
        }
        finished.increment();
    }

    /**
     * Records a request given up on without a reply: it counts as {@link #TIMEOUT} and its latency so far
     * (a lower bound) is recorded, so that a stall shows in the percentiles.
     *
     * @param request the request.
     * @param nowNs   when it was given up on.
     */
    void onTimeout(final LoadRequest request, final long nowNs)
    {
        if (isMeasured(request.intendedNs))
        {
            recordTimeout(request, nowNs);
        }
        finished.increment();
    }

    private void recordTimeout(final LoadRequest request, final long nowNs)
    {
        responseTimeUs.recordValue(toUs(nowNs - request.intendedNs));
        if (request.sentNs != 0)
        {
            serviceTimeUs.recordValue(toUs(nowNs - request.sentNs));
        }
        countError(TIMEOUT);
        lastCompletionNs.accumulate(nowNs);
    }

    private void countError(final String kind)
    {
        errors.increment();
        errorsByKind.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /**
     * @return requests issued and not yet finished, never less than the true number (finished is read first).
     */
    long outstanding()
    {
        final long done = finished.sum();
        return issued.sum() - done;
    }

    /**
     * Takes the results. Call once, after {@link #outstanding()} reached 0 or the rest was aborted.
     *
     * @param shape what was run, for the report.
     * @return the results.
     */
    BenchResult result(final BenchResult.Shape shape)
    {
        final Histogram response = responseTimeUs.getIntervalHistogram();
        final Histogram service = serviceTimeUs.getIntervalHistogram();
        final Map<String, Long> kinds = new TreeMap<>();
        errorsByKind.forEach((kind, count) -> kinds.put(kind, count.sum()));
        final long windowNs = measureEndNs - measureStartNs;
        final long last = lastCompletionNs.get();
        final long elapsedNs = last == Long.MIN_VALUE ? windowNs : Math.max(windowNs, last - measureStartNs);
        final long replies = ok.sum() + errors.sum();
        return new BenchResult(
            shape,
            windowNs,
            measuredIssued.sum(),
            ok.sum(),
            errors.sum(),
            kinds,
            backpressure.sum(),
            fallbacks.sum(),
            cacheHits.sum(),
            replies * 1e9 / elapsedNs,
            maxDispatchLagNs.get() / 1000,
            response,
            service);
    }

    private static long toUs(final long ns)
    {
        final long us = ns / 1000;
        return us < LOWEST_US ? LOWEST_US : Math.min(us, HIGHEST_US);
    }
}
