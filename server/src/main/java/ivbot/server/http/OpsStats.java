package ivbot.server.http;

import ivbot.inference.batch.FallbackReason;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import ivbot.server.session.SessionStore;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * The body of {@code GET /v1/ops/stats}, polled by the operator page every 2 s:
 * <pre>
 * {"uptime_s": n, "requests_total": n, "qps": x, "latency_ms": {"p50": x, "p99": x},
 *  "fallbacks": {"deadline": n, "queue_full": n, "model_error": n, "no_model": n, "user_share": n}, "fallback_share": x,
 *  "cache_hit_rate": x, "batch_size": {"p50": x, "max": n, "counts": [[1, n], [2, n], ...]},
 *  "model": {"version": s|null, "device": s|null},
 *  "session_store": {"kind": "memory"|"redis ...", "ready": bool}}
 * </pre>
 * The values come from a {@link Source}; chat latencies go to the {@link LongConsumer} given at
 * construction (HttpChatHandler calls {@link #recordChat} on every {@code /v1/chat} reply).
 * Thread-safe when the source is.
 */
public final class OpsStats
{
    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    /**
     * Where the figures come from. {@link OpsStats#write} calls {@link #refresh()} once, then the getters,
     * all on the event loop of the request; the getters of one write should describe the same moment.
     */
    public interface Source
    {
        /**
         * Brings the figures up to date before a write; the default does nothing.
         */
        default void refresh()
        {
        }

        /** @return seconds since the server started. */
        long uptimeSeconds();

        /** @return chat turns answered since start. */
        long requestsTotal();

        /** @return chat turns per second over the latest interval. */
        double qps();

        /** @return the median chat latency over the latest interval, ms (0 without requests). */
        double latencyP50Ms();

        /** @return the 99th-percentile chat latency over the latest interval, ms (0 without requests). */
        double latencyP99Ms();

        /**
         * @param reason why the rules answered instead of the model.
         * @return turns the rules answered for that reason.
         */
        long fallbacks(FallbackReason reason);

        /** @return the share of turns answered by a fallback, 0..1. */
        double fallbackShare();

        /** @return the share of lookups answered from the cache, 0..1. */
        double cacheHitRate();

        /** @return the median inference batch size. */
        double batchSizeP50();

        /** @return the largest batch size counted by {@link #batchSizeCount}; 0 without batches. */
        int batchSizeMax();

        /**
         * @param size a batch size, 1 to {@link #batchSizeMax()}.
         * @return how many batches of that size ran.
         */
        long batchSizeCount(int size);

        /** @return the model version in service, or {@code null}. */
        String modelVersion();

        /** @return the inference device ({@code "cpu"}, {@code "cuda:0"}...), or {@code null}. */
        String modelDevice();

        /** @return the session store's description: {@code "memory"} or {@code "redis ..."}. */
        String sessionStoreKind();

        /** @return whether the session store answers. */
        boolean sessionStoreReady();
    }

    private final Source source;
    private final LongConsumer chatLatencyUs;

    /**
     * @param source        the figures.
     * @param chatLatencyUs receives the latency of every chat reply, µs; called on event loops.
     */
    public OpsStats(final Source source, final LongConsumer chatLatencyUs)
    {
        if (source == null || chatLatencyUs == null)
        {
            throw new IllegalArgumentException("source and chatLatencyUs are required (expected: non-null)");
        }
        this.source = source;
        this.chatLatencyUs = chatLatencyUs;
    }

    /**
     * Stats from a {@link SimpleSource}: request count, QPS and latency percentiles, the session store's
     * state, and zeros for the inference figures.
     *
     * @param store the session store.
     * @return the stats.
     */
    public static OpsStats simple(final SessionStore store)
    {
        final SimpleSource source = new SimpleSource(store, System::nanoTime);
        return new OpsStats(source, source::recordChatUs);
    }

    /**
     * @return the source of the figures.
     */
    public Source source()
    {
        return source;
    }

    /**
     * Records one chat reply. Wait-free for {@link SimpleSource}; called on event loops.
     *
     * @param latencyUs the time from request to reply, µs.
     */
    public void recordChat(final long latencyUs)
    {
        chatLatencyUs.accept(latencyUs);
    }

    /**
     * Writes the JSON body. Called on an event loop.
     *
     * @param out the destination; the caller owns it.
     */
    public void write(final ByteBuf out)
    {
        final Source s = source;
        s.refresh();
        try (JsonGenerator gen = FACTORY.createGenerator((OutputStream)new ByteBufOutputStream(out), JsonEncoding.UTF8))
        {
            gen.writeStartObject();
            gen.writeNumberField("uptime_s", s.uptimeSeconds());
            gen.writeNumberField("requests_total", s.requestsTotal());
            gen.writeNumberField("qps", round3(s.qps()));
            gen.writeObjectFieldStart("latency_ms");
            gen.writeNumberField("p50", round3(s.latencyP50Ms()));
            gen.writeNumberField("p99", round3(s.latencyP99Ms()));
            gen.writeEndObject();
            gen.writeObjectFieldStart("fallbacks");
            for (final FallbackReason reason : FallbackReason.values())
            {
                gen.writeNumberField(reason.id(), s.fallbacks(reason));
            }
            gen.writeEndObject();
            gen.writeNumberField("fallback_share", round3(s.fallbackShare()));
            gen.writeNumberField("cache_hit_rate", round3(s.cacheHitRate()));
            writeBatchSizes(gen, s);
            gen.writeObjectFieldStart("model");
            writeNullable(gen, "version", s.modelVersion());
            writeNullable(gen, "device", s.modelDevice());
            gen.writeEndObject();
            gen.writeObjectFieldStart("session_store");
            gen.writeStringField("kind", s.sessionStoreKind());
            gen.writeBooleanField("ready", s.sessionStoreReady());
            gen.writeEndObject();
            gen.writeEndObject();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void writeBatchSizes(final JsonGenerator gen, final Source s) throws IOException
    {
        final int max = s.batchSizeMax();
        gen.writeObjectFieldStart("batch_size");
        gen.writeNumberField("p50", round3(s.batchSizeP50()));
        gen.writeNumberField("max", max);
        gen.writeArrayFieldStart("counts");
        for (int size = 1; size <= max; size++)
        {
            gen.writeStartArray();
            gen.writeNumber(size);
            gen.writeNumber(s.batchSizeCount(size));
            gen.writeEndArray();
        }
        gen.writeEndArray();
        gen.writeEndObject();
    }

    private static void writeNullable(final JsonGenerator gen, final String name, final String value) throws IOException
    {
        if (value == null)
        {
            gen.writeNullField(name);
        }
        else
        {
            gen.writeStringField(name, value);
        }
    }

    private static double round3(final double value)
    {
        return Double.isFinite(value) ? Math.round(value * 1000.0) / 1000.0 : 0.0;
    }

    /**
     * What is known without an inference engine: chat turns counted and timed through an HdrHistogram
     * {@link Recorder} (written wait-free by any event loop), the session store's state, and zeros for
     * fallbacks, cache and batches.
     * <p>
     * {@link #refresh()} takes the interval histogram at most once a second (under this object's lock;
     * several open operator pages then see the same figures) and derives QPS and P50/P99 from it; the
     * previous interval histogram is recycled, so a refresh allocates nothing.
     */
    public static final class SimpleSource implements Source
    {
        /** Latencies above this are recorded as this, µs (one minute). */
        public static final long MAX_LATENCY_US = 60_000_000L;
        private static final long MIN_INTERVAL_NS = 1_000_000_000L;

        private final SessionStore store;
        private final LongSupplier nanoClock;
        private final long startNs;
        private final Recorder recorder = new Recorder(1, MAX_LATENCY_US, 3);
        private Histogram interval;
        private long intervalStartNs;
        private long total;
        private double qps;
        private double p50Ms;
        private double p99Ms;

        /**
         * @param store     the session store, for its kind and readiness.
         * @param nanoClock a monotonic clock, ns ({@code System::nanoTime}).
         */
        public SimpleSource(final SessionStore store, final LongSupplier nanoClock)
        {
            this.store = store;
            this.nanoClock = nanoClock;
            this.startNs = nanoClock.getAsLong();
            this.intervalStartNs = startNs;
        }

        /**
         * Records one chat reply. Wait-free; any thread.
         *
         * @param latencyUs the time from request to reply, µs; clamped to 1..{@link #MAX_LATENCY_US}.
         */
        public void recordChatUs(final long latencyUs)
        {
            recorder.recordValue(Math.max(1L, Math.min(latencyUs, MAX_LATENCY_US)));
        }

        @Override
        public synchronized void refresh()
        {
            final long nowNs = nanoClock.getAsLong();
            final long elapsedNs = nowNs - intervalStartNs;
            if (elapsedNs < MIN_INTERVAL_NS)
            {
                return;
            }
            interval = recorder.getIntervalHistogram(interval);
            intervalStartNs = nowNs;
            final long count = interval.getTotalCount();
            total += count;
            qps = count * 1e9 / elapsedNs;
            p50Ms = count == 0 ? 0.0 : interval.getValueAtPercentile(50.0) / 1000.0;
            p99Ms = count == 0 ? 0.0 : interval.getValueAtPercentile(99.0) / 1000.0;
        }

        @Override
        public long uptimeSeconds()
        {
            return (nanoClock.getAsLong() - startNs) / 1_000_000_000L;
        }

        @Override
        public synchronized long requestsTotal()
        {
            return total;
        }

        @Override
        public synchronized double qps()
        {
            return qps;
        }

        @Override
        public synchronized double latencyP50Ms()
        {
            return p50Ms;
        }

        @Override
        public synchronized double latencyP99Ms()
        {
            return p99Ms;
        }

        @Override
        public long fallbacks(final FallbackReason reason)
        {
            return 0;
        }

        @Override
        public double fallbackShare()
        {
            return 0.0;
        }

        @Override
        public double cacheHitRate()
        {
            return 0.0;
        }

        @Override
        public double batchSizeP50()
        {
            return 0.0;
        }

        @Override
        public int batchSizeMax()
        {
            return 0;
        }

        @Override
        public long batchSizeCount(final int size)
        {
            return 0;
        }

        @Override
        public String modelVersion()
        {
            return null;
        }

        @Override
        public String modelDevice()
        {
            return null;
        }

        @Override
        public String sessionStoreKind()
        {
            return store.describe();
        }

        @Override
        public boolean sessionStoreReady()
        {
            return store.isReady();
        }
    }
}
