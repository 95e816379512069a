package ivbot.perf;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The results of one run: counts, rates, shares and latency distributions. Immutable once built; the
 * histograms it holds are its own copies, in microseconds.
 * <p>
 * Which latency is reported:
 * <ul>
 *   <li>open loop: from each request's <em>intended</em> send time to its reply, so a stall delays
 *   every request that was due during it (no coordinated omission); the service time, from the actual
 *   write, is printed alongside;</li>
 *   <li>closed loop: the naive per-request latency, corrected with HdrHistogram's
 *   {@link Histogram#copyCorrectedForCoordinatedOmission(long)} (the post-hoc form of
 *   {@code recordValueWithExpectedInterval}). A slot sends its next request as soon as the previous one
 *   is answered, so the expected interval between its requests is its typical latency: the measured
 *   median. A stall of length {@code T} then also counts the {@code T / median} requests the slot would
 *   have sent meanwhile. The uncorrected latency is printed alongside.</li>
 * </ul>
 */
public final class BenchResult
{
    /**
     * What was run.
     *
     * @param protocol    {@code http} or {@code proto}.
     * @param openLoop    open loop at {@code rate}, else closed loop at {@code concurrency}.
     * @param rate        the asked rate, requests per second (open loop).
     * @param concurrency outstanding requests (closed loop).
     * @param connections TCP connections.
     */
    public record Shape(String protocol, boolean openLoop, double rate, int concurrency, int connections)
    {
    }

    private final Shape shape;
    private final long windowNs;
    private final long issued;
    private final long ok;
    private final long errors;
    private final Map<String, Long> errorsByKind;
    private final long backpressure;
    private final long fallbacks;
    private final long cacheHits;
    private final double achievedRate;
    private final long maxDispatchLagUs;
    private final Histogram latencyUs;
    private final Histogram secondaryUs;
    private final long expectedIntervalUs;

    BenchResult(
        final Shape shape,
        final long windowNs,
        final long issued,
        final long ok,
        final long errors,
        final Map<String, Long> errorsByKind,
        final long backpressure,
        final long fallbacks,
        final long cacheHits,
        final double achievedRate,
        final long maxDispatchLagUs,
        final Histogram responseUs,
        final Histogram serviceUs)
    {
        this.shape = shape;
        this.windowNs = windowNs;
        this.issued = issued;
        this.ok = ok;
        this.errors = errors;
        this.errorsByKind = Collections.unmodifiableMap(new TreeMap<>(errorsByKind));
        this.backpressure = backpressure;
        this.fallbacks = fallbacks;
        this.cacheHits = cacheHits;
        this.achievedRate = achievedRate;
        this.maxDispatchLagUs = maxDispatchLagUs;
        if (shape.openLoop())
        {
            this.expectedIntervalUs = 0;
            this.latencyUs = responseUs;
            this.secondaryUs = serviceUs;
        }
        else
        {
            this.expectedIntervalUs = responseUs.getValueAtPercentile(50.0);
            this.latencyUs = responseUs.copyCorrectedForCoordinatedOmission(expectedIntervalUs);
            this.secondaryUs = responseUs;
        }
    }

    /** @return what was run. */
    public Shape shape()
    {
        return shape;
    }

    /** @return measured requests sent (those due in the measured window). */
    public long issued()
    {
        return issued;
    }

    /** @return measured requests answered successfully in time. */
    public long ok()
    {
        return ok;
    }

    /** @return measured requests that failed, timeouts included. */
    public long errors()
    {
        return errors;
    }

    /** @return failures by kind, sorted: {@code status/code}, {@code timeout}, {@code connect_error}, {@code connection_closed}. */
    public Map<String, Long> errorsByKind()
    {
        return errorsByKind;
    }

    /** @return measured requests that waited in the client for an in-flight slot. */
    public long backpressure()
    {
        return backpressure;
    }

    /** @return replies (successes and failures) per second over the measured window and its drain. */
    public double achievedRate()
    {
        return achievedRate;
    }

    /** @return failures over all finished measured requests, 0..1. */
    public double errorShare()
    {
        final long total = ok + errors;
        return total == 0 ? 0 : (double)errors / total;
    }

    /** @return successful replies with {@code source=rules} and a {@code fallback_reason}, over all successes. */
    public double fallbackShare()
    {
        return ok == 0 ? 0 : (double)fallbacks / ok;
    }

    /** @return successful replies with {@code source=cache}, over all successes. */
    public double cacheHitShare()
    {
        return ok == 0 ? 0 : (double)cacheHits / ok;
    }

    /** @return the reported latency distribution (see the class comment), µs; a copy. */
    public Histogram latencyUs()
    {
        return latencyUs.copy();
    }

    /**
     * @param percentile 0..100.
     * @return the reported latency at that percentile, ms.
     */
    public double latencyMs(final double percentile)
    {
        return latencyUs.getTotalCount() == 0 ? 0 : latencyUs.getValueAtPercentile(percentile) / 1000.0;
    }

    /** @return the largest reported latency, ms. */
    public double maxLatencyMs()
    {
        return latencyUs.getTotalCount() == 0 ? 0 : latencyUs.getMaxValue() / 1000.0;
    }

    /**
     * @param percentile 0..100.
     * @return the uncorrected latency (closed loop) or service time (open loop) at that percentile, ms.
     */
    public double secondaryMs(final double percentile)
    {
        return secondaryUs.getTotalCount() == 0 ? 0 : secondaryUs.getValueAtPercentile(percentile) / 1000.0;
    }

    /**
     * Prints the human-readable report, ending with {@link #machineLine()}.
     *
     * @param out where to print.
     */
    public void print(final PrintStream out)
    {
        out.printf(Locale.ROOT, "requests: sent=%d ok=%d errors=%d (%.2f%%) backpressured=%d window=%s%n",
            issued, ok, errors, errorShare() * 100, backpressure, Durations.format(windowNs));
        out.printf(Locale.ROOT, "achieved: %.1f req/s%s%n", achievedRate,
            shape.openLoop() ? String.format(Locale.ROOT, " (asked %s, scheduler lag max %.3f ms)",
                BenchConfig.fmt(shape.rate()), maxDispatchLagUs / 1000.0) : "");
        out.println("errors: " + (errorsByKind.isEmpty() ? "none" : formatKinds()));
        if (shape.openLoop())
        {
            printLatency(out, "latency ms (from intended send time)", latencyUs);
            printLatency(out, "service time ms (from actual write) ", secondaryUs);
        }
        else
        {
            printLatency(out, String.format(Locale.ROOT, "latency ms (corrected, expected interval %.3f ms)",
                expectedIntervalUs / 1000.0), latencyUs);
            printLatency(out, "latency ms (uncorrected)", secondaryUs);
        }
        out.printf(Locale.ROOT, "fallback share: %.2f%% (%d)  cache hits: %.2f%% (%d)%n",
            fallbackShare() * 100, fallbacks, cacheHitShare() * 100, cacheHits);
    }

    private String formatKinds()
    {
        final StringBuilder text = new StringBuilder();
        errorsByKind.forEach((kind, count) ->
            text.append(text.length() == 0 ? "" : " ").append(kind).append('=').append(count));
        return text.toString();
    }

    private static void printLatency(final PrintStream out, final String label, final Histogram histogram)
    {
        if (histogram.getTotalCount() == 0)
        {
            out.println(label + ": no samples");
            return;
        }
        out.printf(Locale.ROOT, "%s: p50=%.3f p90=%.3f p99=%.3f p999=%.3f max=%.3f (n=%d)%n", label,
            histogram.getValueAtPercentile(50.0) / 1000.0, histogram.getValueAtPercentile(90.0) / 1000.0,
            histogram.getValueAtPercentile(99.0) / 1000.0, histogram.getValueAtPercentile(99.9) / 1000.0,
            histogram.getMaxValue() / 1000.0, histogram.getTotalCount());
    }

    /**
     * @return {@code bench: rate=R achieved=A p50_ms=.. p90_ms=.. p99_ms=.. p999_ms=.. max_ms=.. errors=N
     * fallback_share=F cache_hit_share=C}; {@code rate=closed} for a closed loop.
     */
    public String machineLine()
    {
        return String.format(Locale.ROOT,
            "bench: rate=%s achieved=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f errors=%d"
                + " fallback_share=%.4f cache_hit_share=%.4f",
            shape.openLoop() ? BenchConfig.fmt(shape.rate()) : "closed", achievedRate, latencyMs(50.0),
            latencyMs(90.0), latencyMs(99.0), latencyMs(99.9), maxLatencyMs(), errors, fallbackShare(),
            cacheHitShare());
    }

    /**
     * Writes the reported latency distribution in HdrHistogram's {@code .hgrm} text form, in milliseconds.
     *
     * @param file the file to write (replaced).
     * @throws IOException when it cannot be written.
     */
    public void writeHgrm(final Path file) throws IOException
    {
        final Path parent = file.toAbsolutePath().getParent();
        if (parent != null)
        {
            Files.createDirectories(parent);
        }
        try (OutputStream stream = Files.newOutputStream(file);
            PrintStream out = new PrintStream(stream, false, StandardCharsets.UTF_8))
        {
            latencyUs.outputPercentileDistribution(out, 1000.0);
        }
    }
}
