package ivbot.perf;

import java.io.PrintStream;
import java.util.Locale;

/**
 * {@code --find-max}: searches the highest open-loop rate that still meets a P99 target. A step passes
 * when its P99 is at most the target, under 1% of its requests failed, and it achieved at least 95% of
 * the asked rate. The search doubles the rate from {@code minRate} until a step fails or {@code maxRate}
 * passes, then bisects between the last pass and the first failure until they are within 5% of each
 * other, all in at most {@code maxSteps} steps. Rates are whole requests per second.
 * <p>
 * With {@code retries > 0} ({@code --retries}, 1 by default), a failing step is run again at the same rate, up
 * to that many times, and passes if any run passes: on a machine shared with other work, interference only
 * ever adds latency, so one stall of someone else's making does not end the doubling or cap the result. A
 * step fails only when all its runs fail: the step budget ({@code maxSteps}) decides whether a new rate is
 * tried, never whether a failing one gets its retries, so a search runs at most {@code maxSteps + retries}
 * steps. Retries count as steps; the outcome says how many failing runs a retry overturned
 * ({@code rescued}), a measure of the noise.
 * <p>
 * Runs the steps one after another on the calling thread.
 */
final class MaxRateSearch
{
    /** The largest error share a passing step may have. */
    static final double MAX_ERROR_SHARE = 0.01;
    /** The share of the asked rate a passing step must achieve. */
    static final double MIN_ACHIEVED_SHARE = 0.95;
    /** The search stops when the bracket is narrower than this share of its upper end. */
    static final double PRECISION = 0.05;

    /**
     * Runs one step.
     */
    @FunctionalInterface
    interface StepRunner
    {
        /**
         * @param ratePerSec the rate to try.
         * @param step       the step number, from 1.
         * @return the step's results.
         * @throws Exception when the step cannot run.
         */
        BenchResult run(double ratePerSec, int step) throws Exception;
    }

    /**
     * @param rate   the highest passing rate, 0 when none passed.
     * @param result that step's results, {@code null} when none passed.
     * @param steps   the steps run.
     * @param rescued failing runs whose retry passed.
     */
    record Outcome(double rate, BenchResult result, int steps, int rescued)
    {
    }

    private final long p99TargetNs;
    private final double minRate;
    private final double maxRate;
    private final int maxSteps;
    private final int retries;
    private final PrintStream out;

    /**
     * @param p99TargetNs the P99 target, ns.
     * @param minRate     the first rate tried, > 0.
     * @param maxRate     the highest rate tried, at least {@code minRate}.
     * @param maxSteps    the most steps, > 0.
     * @param out         receives one line per step.
     */
    MaxRateSearch(final long p99TargetNs, final double minRate, final double maxRate, final int maxSteps,
        final PrintStream out)
    {
        this(p99TargetNs, minRate, maxRate, maxSteps, 0, out);
    }

    /**
     * @param p99TargetNs the P99 target, ns.
     * @param minRate     the first rate tried, > 0.
     * @param maxRate     the highest rate tried, at least {@code minRate}.
     * @param maxSteps    the most steps that start a new rate, > 0.
     * @param retries     how many times a failing step is run again before it counts as failed, >= 0.
     * @param out         receives one line per step.
     */
    MaxRateSearch(final long p99TargetNs, final double minRate, final double maxRate, final int maxSteps,
        final int retries, final PrintStream out)
    {
        if (p99TargetNs <= 0)
        {
            throw new IllegalArgumentException("--p99=" + p99TargetNs + "ns (expected: > 0)");
        }
        if (!(minRate >= 1))
        {
            throw new IllegalArgumentException("--min-rate=" + minRate + " (expected: >= 1)");
        }
        if (!(maxRate >= minRate))
        {
            throw new IllegalArgumentException("--max-rate=" + maxRate + " (expected: >= --min-rate " + minRate + ")");
        }
        if (maxSteps <= 0)
        {
            throw new IllegalArgumentException("--max-steps=" + maxSteps + " (expected: > 0)");
        }
        if (retries < 0)
        {
            throw new IllegalArgumentException("--retries=" + retries + " (expected: >= 0)");
        }
        this.p99TargetNs = p99TargetNs;
        this.minRate = Math.rint(minRate);
        this.maxRate = Math.rint(maxRate);
        this.maxSteps = maxSteps;
        this.retries = retries;
        this.out = out;
    }

    /**
     * @param result     a step's results.
     * @param ratePerSec the rate it asked for.
     * @return whether the step meets the target.
     */
    boolean passes(final BenchResult result, final double ratePerSec)
    {
        return result.latencyMs(99.0) * 1e6 <= p99TargetNs
            && result.errorShare() < MAX_ERROR_SHARE
            && result.achievedRate() >= MIN_ACHIEVED_SHARE * ratePerSec;
    }

    /**
     * @param runner runs each step.
     * @return the highest passing rate and its results.
     * @throws Exception when a step cannot run.
     */
    Outcome search(final StepRunner runner) throws Exception
    {
        double lo = 0;
        BenchResult best = null;
        double hi = Double.POSITIVE_INFINITY;
        double rate = minRate;
        int step = 0;
        int rescued = 0;
        while (fits(step))
        {
            final Attempt attempt = attempt(runner, rate, step);
            step = attempt.steps;
            rescued += attempt.rescued;
            if (attempt.pass)
            {
                lo = rate;
                best = attempt.result;
                if (rate >= maxRate)
                {
                    break;
                }
                rate = Math.min(rate * 2, maxRate);
            }
            else
            {
                hi = rate;
                break;
            }
        }
        while (fits(step) && hi != Double.POSITIVE_INFINITY && hi - lo > Math.max(1.0, PRECISION * hi))
        {
            final double mid = Math.rint((lo + hi) / 2);
            if (mid <= lo || mid >= hi)
            {
                break;
            }
            final Attempt attempt = attempt(runner, mid, step);
            step = attempt.steps;
            rescued += attempt.rescued;
            if (attempt.pass)
            {
                lo = mid;
                best = attempt.result;
            }
            else
            {
                hi = mid;
            }
        }
        return new Outcome(lo, best, step, rescued);
    }

    /** Whether a new rate may start after {@code stepsSoFar} steps (its retries run whatever the budget). */
    private boolean fits(final int stepsSoFar)
    {
        return stepsSoFar < maxSteps;
    }

    private record Attempt(boolean pass, BenchResult result, int steps, int rescued)
    {
    }

    private Attempt attempt(final StepRunner runner, final double rate, final int stepsSoFar) throws Exception
    {
        int step = stepsSoFar;
        BenchResult result = runner.run(rate, ++step);
        boolean pass = report(step, rate, result);
        for (int retry = 0; !pass && retry < retries; retry++)
        {
            result = runner.run(rate, ++step);
            pass = report(step, rate, result);
        }
        return new Attempt(pass, result, step, pass && step > stepsSoFar + 1 ? step - stepsSoFar - 1 : 0);
    }

    private boolean report(final int step, final double rate, final BenchResult result)
    {
        final boolean pass = passes(result, rate);
        out.printf(Locale.ROOT, "find-max: step %d rate=%s achieved=%.1f p99_ms=%.3f errors=%.2f%% -> %s%n", step,
            BenchConfig.fmt(rate), result.achievedRate(), result.latencyMs(99.0), result.errorShare() * 100,
            pass ? "pass" : "fail");
        out.flush();
        return pass;
    }
}
