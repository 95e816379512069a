package ivbot.perf;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one measured load: a warmup, the measured window, then a drain that waits up to the timeout for
 * the last replies and gives up on the rest (counted as timeouts). Each run has its own
 * {@link BenchStats}, so consecutive runs on one {@link LoadClient} never mix.
 * <p>
 * Runs on the calling thread, which is the open loop's scheduler thread; every wait is bounded by the
 * run's duration plus its timeout.
 */
public final class LoadRun
{
    /** How often the drain checks for outstanding requests. */
    static final long DRAIN_POLL_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** How long the event loops get to give up on unanswered requests. */
    static final long ABORT_WAIT_NS = TimeUnit.SECONDS.toNanos(5);

    private LoadRun()
    {
    }

    /**
     * An open loop at a fixed rate: latency runs from each request's intended send time.
     *
     * @param client     the connected client.
     * @param ratePerSec requests per second over all connections.
     * @param warmupNs   sent first and not measured.
     * @param durationNs the measured window.
     * @return the results.
     */
    public static BenchResult openLoop(final LoadClient client, final double ratePerSec, final long warmupNs,
        final long durationNs)
    {
        final BenchConfig config = client.config();
        final long startNs = System.nanoTime();
        final BenchStats stats = new BenchStats(startNs + warmupNs, startNs + warmupNs + durationNs, config.timeoutNs);
        OpenLoopScheduler.run(client.connections(), config.users, stats, ratePerSec, startNs, stats.measureEndNs());
        drain(client, stats, config.timeoutNs);
        return stats.result(new BenchResult.Shape(protocolName(config), true, ratePerSec, 0, config.connections));
    }

    /**
     * A closed loop: {@code concurrency} slots, each sending its next request when its previous one is
     * answered. Slot {@code s} uses connection {@code s % connections}.
     *
     * @param client      the connected client.
     * @param concurrency outstanding requests over all connections, > 0.
     * @param warmupNs    run first and not measured.
     * @param durationNs  the measured window.
     * @return the results.
     */
    public static BenchResult closedLoop(final LoadClient client, final int concurrency, final long warmupNs,
        final long durationNs)
    {
        if (concurrency <= 0)
        {
            throw new IllegalArgumentException("concurrency=" + concurrency + " (expected: > 0)");
        }
        final BenchConfig config = client.config();
        final LoadConnection[] connections = client.connections();
        final int n = connections.length;
        final long startNs = System.nanoTime();
        final BenchStats stats = new BenchStats(startNs + warmupNs, startNs + warmupNs + durationNs, config.timeoutNs);
        for (int c = 0; c < n && c < concurrency; c++)
        {
            final int slots = (concurrency - c + n - 1) / n;
            final int[] slotUsers = new int[slots];
            for (int s = 0; s < slots; s++)
            {
                slotUsers[s] = s % connections[c].users();
                stats.onIssued(startNs, startNs);
            }
            connections[c].startClosedLoop(stats, slotUsers, startNs, stats.measureEndNs());
        }
        long nowNs;
        while ((nowNs = System.nanoTime()) - stats.measureEndNs() < 0 && !Thread.currentThread().isInterrupted())
        {
            LockSupport.parkNanos(Math.min(stats.measureEndNs() - nowNs, TimeUnit.MILLISECONDS.toNanos(100)));
        }
        drain(client, stats, config.timeoutNs);
        return stats.result(new BenchResult.Shape(protocolName(config), false, 0, concurrency, config.connections));
    }

    private static void drain(final LoadClient client, final BenchStats stats, final long timeoutNs)
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        while (stats.outstanding() > 0 && System.nanoTime() - deadlineNs < 0)
        {
            LockSupport.parkNanos(DRAIN_POLL_NS);
        }
        if (stats.outstanding() > 0)
        {
            client.abortAll(ABORT_WAIT_NS);
        }
    }

    private static String protocolName(final BenchConfig config)
    {
        return config.protocol.name().toLowerCase(Locale.ROOT);
    }
}
