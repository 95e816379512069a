package ivbot.perf;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a run counts: by intended time, with late replies as timeouts and errors by kind.
 */
class BenchStatsTest
{
    private static final long MS = 1_000_000L;

    private static LoadRequest request(final BenchStats stats, final long intendedNs)
    {
        final LoadRequest request = new LoadRequest(stats, 1, 0, 0, "", "q", intendedNs, false);
        request.sentNs = intendedNs;
        stats.onIssued(intendedNs, intendedNs);
        return request;
    }

    @Test
    void shouldCountOnlyRequestsDueInTheWindowAndLateRepliesAsTimeouts()
    {
        final long start = 1_000 * MS;
        final BenchStats stats = new BenchStats(start, start + 1_000 * MS, 100 * MS);

        final LoadRequest warmup = request(stats, start - MS);
        final LoadRequest fast = request(stats, start);
        final LoadRequest cached = request(stats, start + MS);
        final LoadRequest fallback = request(stats, start + 2 * MS);
        final LoadRequest late = request(stats, start + 3 * MS);
        final LoadRequest refused = request(stats, start + 4 * MS);
        final LoadRequest unanswered = request(stats, start + 5 * MS);
        final LoadRequest after = request(stats, start + 1_000 * MS);
        assertEquals(8, stats.outstanding());

        // the warmup request completes inside the window: still not counted
        stats.onReply(warmup, start + 10 * MS, "rules", "");
        stats.onReply(fast, start + 2 * MS, "rules", "");
        stats.onReply(cached, start + 3 * MS, "cache", "");
        stats.onReply(fallback, start + 4 * MS, "rules", "deadline");
        stats.onReply(late, start + 203 * MS, "rules", "");
        stats.onError(refused, start + 4 * MS, "401/unauthorized");
        stats.onTimeout(unanswered, start + 505 * MS);
        stats.onReply(after, start + 1_001 * MS, "rules", "");
        assertEquals(0, stats.outstanding());

        final BenchResult result = stats.result(new BenchResult.Shape("http", true, 7, 0, 1));
        assertEquals(6, result.issued());
        assertEquals(3, result.ok());
        assertEquals(3, result.errors());
        assertEquals(Map.of("401/unauthorized", 1L, "timeout", 2L), result.errorsByKind());
        assertEquals(1.0 / 3, result.cacheHitShare(), 1e-9);
        assertEquals(1.0 / 3, result.fallbackShare(), 1e-9);
        // the two timeouts keep their latency (200 ms, 500 ms): a stall shows in the percentiles
        assertEquals(500.0, result.maxLatencyMs(), 1.0);
        assertEquals(5, result.latencyUs().getTotalCount());
    }
}
