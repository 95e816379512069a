package ivbot.server.metrics;

import ivbot.inference.batch.FallbackReason;
import ivbot.server.session.SessionStore;
import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.Map;

/**
 * The server's figures as of one reporter roll: immutable, made once per interval by the one
 * {@link MetricsReporter} (percentiles computed there, once), and read by three views that copy nothing:
 * {@link JmxExporter} (MBeans), {@link PrometheusExporter} ({@code GET /metrics}) and {@link OpsStatsJson}
 * ({@code GET /v1/ops/stats}). Safe to share between threads (published through a volatile field).
 * <p>
 * Names say their window: {@code ...LastInterval} covers the last reporter interval only (it reads 0 at rest),
 * {@code ...SinceStart} and {@code ...Total} cover everything since start (or since {@code resetHistograms}).
 *
 * @param uptimeSeconds                 seconds since the reporter started.
 * @param intervalSeconds               the length of the last interval, s.
 * @param requests                      chat replies since start, by source (every source present).
 * @param requestsPerSecondLastInterval chat replies per second over the last interval.
 * @param errors                        requests answered with an error since start, by code, in code order
 *                                      ({@code internal} always present).
 * @param sessionErrorsTotal            failed session reads and writes since start.
 * @param fallbacks                     turns the rules answered for the model since start, by reason (every reason present).
 * @param cacheLookupsTotal             model answer cache lookups since start.
 * @param cacheHitsTotal                lookups whose reply's source was {@code cache}, since start.
 * @param queueDepth                    model requests waiting for the inference thread at the roll.
 * @param inferenceErrorsTotal          failed inference batches and errors that ended the inference thread.
 * @param models                        the models in service (empty without one).
 * @param stages                        latency per stage (every stage present).
 * @param batches                       model requests per ONNX Runtime call.
 * @param store                         the session store at the roll.
 * @param jvm                           the JVM and process at the roll.
 * @param samples                       the figures other parts registered with the reporter (limits, events),
 *                                      in registration order.
 */
public record MetricsSnapshot(
    long uptimeSeconds,
    double intervalSeconds,
    Map<ReplySource, Long> requests,
    double requestsPerSecondLastInterval,
    Map<String, Long> errors,
    long sessionErrorsTotal,
    Map<FallbackReason, Long> fallbacks,
    long cacheLookupsTotal,
    long cacheHitsTotal,
    int queueDepth,
    long inferenceErrorsTotal,
    List<ModelFigures> models,
    Map<Stage, StageFigures> stages,
    BatchFigures batches,
    StoreFigures store,
    JvmFigures jvm,
    List<Sample> samples)
{
    /** Upper bounds of {@code ivbot_stage_latency_seconds}' buckets, s. */
    public static final List<Double> LATENCY_BUCKETS_S =
        List.of(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5);
    /** Upper bounds of {@code ivbot_batch_size}'s buckets. */
    public static final List<Long> BATCH_BUCKETS = List.of(1L, 2L, 4L, 8L, 16L, 32L, 64L, 128L);

    /**
     * @return requests answered with an error since start, all codes.
     */
    public long errorsTotal()
    {
        long total = 0;
        for (final long n : errors.values())
        {
            total += n;
        }
        return total;
    }

    /**
     * @return chat replies since start, all sources.
     */
    public long requestsTotal()
    {
        long total = 0;
        for (final long n : requests.values())
        {
            total += n;
        }
        return total;
    }

    /**
     * @return the share of chat replies that fell back (any reason) since start, 0..1.
     */
    public double fallbackShare()
    {
        long total = 0;
        for (final long n : fallbacks.values())
        {
            total += n;
        }
        return Math.min(1.0, (double)total / Math.max(1, requestsTotal()));
    }

    /**
     * @return cache hits over lookups since start, 0 without lookups.
     */
    public double cacheHitRate()
    {
        return cacheLookupsTotal == 0 ? 0 : (double)cacheHitsTotal / cacheLookupsTotal;
    }

    /**
     * One figure another part of the server registered with the reporter (see
     * {@link MetricsReporter#register}), as Prometheus writes it.
     *
     * @param name   the series name, e.g. {@code ivbot_rate_limited_total}.
     * @param type   {@code counter} or {@code gauge}.
     * @param help   the HELP text.
     * @param labels the label set without braces, e.g. {@code by="user"}, or "".
     * @param value  the value at the roll.
     */
    public record Sample(String name, String type, String help, String labels, long value)
    {
        /**
         * @return the series name with its labels, e.g. {@code ivbot_rate_limited_total{by="user"}}.
         */
        public String series()
        {
            return labels.isEmpty() ? name : name + "{" + labels + "}";
        }
    }

    /**
     * @return the first model in service, or {@code null}.
     */
    public ModelFigures model()
    {
        return models.isEmpty() ? null : models.get(0);
    }

    /**
     * Count and percentiles of one histogram; values in the histogram's unit (µs for latencies). All 0 for an
     * empty histogram.
     */
    public record Percentiles(long count, long p50, long p90, long p99, long p999, long max)
    {
        /** An empty histogram's figures. */
        public static final Percentiles EMPTY = new Percentiles(0, 0, 0, 0, 0, 0);

        /**
         * @param h a histogram the caller owns for the duration of the call.
         * @return its figures.
         */
        public static Percentiles of(final Histogram h)
        {
            if (h.getTotalCount() == 0)
            {
                return EMPTY;
            }
            return new Percentiles(h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(90),
                h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue());
        }
    }

    /**
     * One stage's latency, µs.
     *
     * @param lastInterval      the last interval.
     * @param sinceStart        since start.
     * @param bucketsSinceStart cumulative counts at each of {@link #LATENCY_BUCKETS_S}, since start.
     * @param sumSecondsSinceStart the sum of all latencies since start, s.
     */
    public record StageFigures(Percentiles lastInterval, Percentiles sinceStart, List<Long> bucketsSinceStart,
        double sumSecondsSinceStart)
    {
        static StageFigures of(final Percentiles lastInterval, final Histogram sinceStart)
        {
            final long count = sinceStart.getTotalCount();
            final Long[] buckets = new Long[LATENCY_BUCKETS_S.size()];
            for (int i = 0; i < buckets.length; i++)
            {
                buckets[i] = count == 0 ? 0 : sinceStart.getCountBetweenValues(0, Math.round(LATENCY_BUCKETS_S.get(i) * 1e6));
            }
            return new StageFigures(lastInterval, Percentiles.of(sinceStart), List.of(buckets),
                count == 0 ? 0 : sinceStart.getMean() * count / 1e6);
        }
    }

    /**
     * Model requests per ONNX Runtime call.
     *
     * @param lastInterval     the last interval.
     * @param sinceStart       since start.
     * @param countsSinceStart batches of size 1, 2, ... up to the largest seen, since start.
     */
    public record BatchFigures(Percentiles lastInterval, Percentiles sinceStart, List<Long> countsSinceStart)
    {
        static BatchFigures of(final Percentiles lastInterval, final Histogram sinceStart)
        {
            final int max = (int)sinceStart.getMaxValue();
            final Long[] counts = new Long[sinceStart.getTotalCount() == 0 ? 0 : max];
            for (int size = 1; size <= counts.length; size++)
            {
                counts[size - 1] = sinceStart.getCountAtValue(size);
            }
            return new BatchFigures(lastInterval, Percentiles.of(sinceStart), List.of(counts));
        }

        /**
         * @param le a bucket's upper bound.
         * @return batches of at most {@code le} requests since start.
         */
        public long countAtMost(final long le)
        {
            long n = 0;
            for (int size = 1; size <= Math.min(le, countsSinceStart.size()); size++)
            {
                n += countsSinceStart.get(size - 1);
            }
            return n;
        }

        /**
         * @return model requests in all batches since start.
         */
        public long requestsSinceStart()
        {
            long n = 0;
            for (int size = 1; size <= countsSinceStart.size(); size++)
            {
                n += size * countsSinceStart.get(size - 1);
            }
            return n;
        }
    }

    /**
     * A model in service.
     *
     * @param version its package version.
     * @param device  where it runs: {@code cpu}, {@code cuda:0}...
     */
    public record ModelFigures(String version, String device)
    {
    }

    /**
     * The session store.
     *
     * @param kind          its description: {@code memory} or {@code redis ...}.
     * @param ready         whether it answers.
     * @param state         up, connecting, switching, down or closed.
     * @param pendingWrites writes not yet acknowledged, including those held through a switch.
     * @param failedWrites  writes that ran out of their window or were refused, since start.
     */
    public record StoreFigures(String kind, boolean ready, String state, long pendingWrites, long failedWrites)
    {
        /**
         * @param store a store; read from any thread.
         * @return its figures now.
         */
        public static StoreFigures of(final SessionStore store)
        {
            return new StoreFigures(store.describe(), store.isReady(), store.state(), store.pendingWrites(),
                store.failedWrites());
        }
    }
}
