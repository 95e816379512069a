package ivbot.analytics;

import java.util.Arrays;

/**
 * The running figures of one 5-second window of one (intent, model version): counts and every latency (for the
 * exact P99). A Flink POJO kept in window state (heap or checkpoint); its latencies grow by doubling, bounded by
 * the turns of one key in one window.
 */
public final class WindowAccumulator
{
    public String intent = "";
    public String modelVersion = "";
    public long turns;
    public double latencySumMs;
    public float[] latenciesMs = new float[8];
    public long fallbacks;
    public long lowConfidence;
    public long clarifying;

    /** For Flink. */
    public WindowAccumulator()
    {
    }

    void add(final Turn t)
    {
        intent = t.intent;
        modelVersion = t.modelVersion;
        if (turns == latenciesMs.length)
        {
            latenciesMs = Arrays.copyOf(latenciesMs, latenciesMs.length * 2);
        }
        latenciesMs[(int)turns] = t.latencyMs;
        turns++;
        latencySumMs += t.latencyMs;
        fallbacks += WindowRules.isFallback(t) ? 1 : 0;
        lowConfidence += WindowRules.isLowConfidence(t) ? 1 : 0;
        clarifying += t.clarifying ? 1 : 0;
    }

    void addAll(final WindowAccumulator other)
    {
        intent = other.intent;
        modelVersion = other.modelVersion;
        final int n = (int)(turns + other.turns);
        if (n > latenciesMs.length)
        {
            latenciesMs = Arrays.copyOf(latenciesMs, Math.max(n, latenciesMs.length * 2));
        }
        System.arraycopy(other.latenciesMs, 0, latenciesMs, (int)turns, (int)other.turns);
        turns = n;
        latencySumMs += other.latencySumMs;
        fallbacks += other.fallbacks;
        lowConfidence += other.lowConfidence;
        clarifying += other.clarifying;
    }

    /** @return the exact nearest-rank 99th percentile of the latencies, ms; 0 without turns. */
    double p99Ms()
    {
        if (turns == 0)
        {
            return 0;
        }
        final float[] sorted = Arrays.copyOf(latenciesMs, (int)turns);
        Arrays.sort(sorted);
        final int rank = (int)Math.ceil(0.99 * turns);
        return sorted[Math.max(rank, 1) - 1];
    }
}
