package ivbot.perf;

import java.util.concurrent.locks.LockSupport;

/**
 * The open-loop schedule: request {@code i} is due at {@code startNs + i * 1e9 / rate}, computed from
 * the start each time so the schedule never drifts, and is handed to its user's connection when due,
 * whether or not earlier requests were answered. A scheduler that falls behind (a saturated client, a
 * GC pause) sends the overdue requests at once, and their latency still runs from their intended times;
 * the largest lag is reported, since it points at the client rather than the server.
 * <p>
 * Runs on the calling thread, the run's single scheduler thread; waits with
 * {@link LockSupport#parkNanos(long)}, whose wake-up granularity (tens of µs on Linux) adds to the
 * measured latency rather than hiding anything.
 */
final class OpenLoopScheduler
{
    private OpenLoopScheduler()
    {
    }

    /**
     * Dispatches requests from {@code startNs} until {@code endNs}.
     *
     * @param connections the connections; user {@code u} goes to {@code u % connections.length}.
     * @param users       the number of logical users; request {@code i} belongs to user {@code i % users}.
     * @param stats       the run.
     * @param ratePerSec  requests per second, > 0.
     * @param startNs     the first request's intended time ({@link System#nanoTime()}).
     * @param endNs       no request is due at or after this.
     * @return the number of requests dispatched; fewer when the thread is interrupted.
     */
    static long run(
        final LoadConnection[] connections,
        final int users,
        final BenchStats stats,
        final double ratePerSec,
        final long startNs,
        final long endNs)
    {
        if (!(ratePerSec > 0) || Double.isInfinite(ratePerSec))
        {
            throw new IllegalArgumentException("rate=" + ratePerSec + " (expected: > 0)");
        }
        final int n = connections.length;
        final double periodNs = 1e9 / ratePerSec;
        long i = 0;
        while (true)
        {
            final long intendedNs = startNs + (long)(i * periodNs);
            if (intendedNs - endNs >= 0 || Thread.currentThread().isInterrupted())
            {
                return i;
            }
            long nowNs = System.nanoTime();
            while (intendedNs - nowNs > 0)
            {
                LockSupport.parkNanos(intendedNs - nowNs);
                nowNs = System.nanoTime();
            }
            final int user = (int)(i % users);
            stats.onIssued(intendedNs, nowNs);
            connections[user % n].submit(stats, user / n, intendedNs);
            i++;
        }
    }
}
