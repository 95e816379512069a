package ivbot.perf;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The find-max search on synthetic steps: no sockets.
 */
class MaxRateSearchTest
{
    private static final long TARGET_NS = 25_000_000L;

    static BenchResult result(final double rate, final double achieved, final long p99Us, final long errors)
    {
        final Histogram latency = new Histogram(BenchStats.LOWEST_US, BenchStats.HIGHEST_US, BenchStats.DIGITS);
        latency.recordValueWithCount(p99Us, 1000);
        return new BenchResult(new BenchResult.Shape("http", true, rate, 0, 1), 1_000_000_000L, 1000 + errors, 1000,
            errors, errors == 0 ? Map.of() : Map.of("timeout", errors), 0, 0, 0, achieved, 0, latency, latency);
    }

    private static MaxRateSearch search(final double minRate, final double maxRate, final int maxSteps)
    {
        return new MaxRateSearch(TARGET_NS, minRate, maxRate, maxSteps,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @Test
    void shouldFindTheKneeWithinFivePercent() throws Exception
    {
        final List<Double> tried = new ArrayList<>();
        final MaxRateSearch.Outcome outcome = search(100, 200_000, 14).search((rate, step) ->
        {
            tried.add(rate);
            return result(rate, rate, rate <= 3700 ? 5_000 : 80_000, 0);
        });
        assertTrue(outcome.rate() <= 3700 && outcome.rate() >= 3700 * 0.95, "rate " + outcome.rate() + " tried " + tried);
        assertEquals(outcome.rate(), outcome.result().shape().rate());
        assertEquals(List.of(100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 6400.0), tried.subList(0, 7));
        assertTrue(outcome.steps() <= 14);
    }

    @Test
    void shouldStopAtMaxRateWhenEverythingPasses() throws Exception
    {
        final MaxRateSearch.Outcome outcome = search(100, 1000, 14).search((rate, step) -> result(rate, rate, 1_000, 0));
        assertEquals(1000, outcome.rate());
        assertEquals(5, outcome.steps());
    }

    @Test
    void shouldReportNothingWhenEvenTheLowestRateFails() throws Exception
    {
        final MaxRateSearch.Outcome outcome = search(100, 1000, 6).search((rate, step) -> result(rate, rate, 90_000, 0));
        assertEquals(0, outcome.rate());
        assertNull(outcome.result());
        assertEquals(6, outcome.steps());
    }

    @Test
    void shouldFailStepsWithErrorsOrShortfallEvenWhenFast()
    {
        final MaxRateSearch search = search(100, 1000, 6);
        assertTrue(search.passes(result(1000, 990, 24_000, 0), 1000));
        assertFalse(search.passes(result(1000, 990, 26_000, 0), 1000), "p99 over the target");
        assertFalse(search.passes(result(1000, 900, 1_000, 0), 1000), "achieved under 95%");
        assertFalse(search.passes(result(1000, 1000, 1_000, 20), 1000), "2% errors");
    }

    @Test
    void shouldRetryAFailingStepAndPassWhenTheRetryPasses() throws Exception
    {
        final List<Double> tried = new ArrayList<>();
        final MaxRateSearch search = new MaxRateSearch(TARGET_NS, 100, 200_000, 14, 1,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        final MaxRateSearch.Outcome outcome = search.search((rate, step) ->
        {
            tried.add(rate);
            // step 2 (the first run at 200/s) is stalled by someone else; the knee is at 3700/s
            return result(rate, rate, step == 2 || rate > 3700 ? 80_000 : 5_000, 0);
        });
        assertEquals(List.of(100.0, 200.0, 200.0, 400.0), tried.subList(0, 4));
        assertTrue(outcome.rate() <= 3700 && outcome.rate() >= 3700 * 0.95, "rate " + outcome.rate() + " tried " + tried);
        assertTrue(outcome.steps() <= 14);
    }

    @Test
    void shouldCountRetriesAsStepsAndFailWhenEveryRunFails() throws Exception
    {
        final List<Double> tried = new ArrayList<>();
        final MaxRateSearch search = new MaxRateSearch(TARGET_NS, 100, 1000, 5, 2,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        final MaxRateSearch.Outcome outcome = search.search((rate, step) ->
        {
            tried.add(rate);
            return result(rate, rate, rate > 100 ? 90_000 : 1_000, 0);
        });
        assertEquals(100, outcome.rate());
        assertEquals(List.of(100.0, 200.0, 200.0, 200.0, 150.0, 150.0, 150.0), tried,
            "100 passes; 200 fails three times; 150 starts as step 5, the last of the budget, and gets its retries");
        assertEquals(7, outcome.steps());
        assertEquals(0, outcome.rescued());
    }

    @Test
    void shouldFailAStepOnlyWhenItsRetryFailsToo() throws Exception
    {
        // every rate's first run is stalled by someone else; above the knee (3700/s) every run fails
        final MaxRateSearch.StepRunner noisy = new MaxRateSearch.StepRunner()
        {
            private double lastRate = -1;

            @Override
            public BenchResult run(final double rate, final int step)
            {
                final boolean firstRunAtThisRate = rate != lastRate;
                lastRate = rate;
                return result(rate, rate, firstRunAtThisRate || rate > 3700 ? 80_000 : 5_000, 0);
            }
        };
        final PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        final MaxRateSearch.Outcome retried = new MaxRateSearch(TARGET_NS, 100, 200_000, 28, 1, quiet).search(noisy);
        assertTrue(retried.rate() <= 3700 && retried.rate() >= 3700 * 0.95, "rate " + retried.rate());
        assertTrue(retried.steps() <= 28);
        assertTrue(retried.rescued() >= 6, "every passing rate was rescued once: " + retried.rescued());

        final MaxRateSearch.Outcome once = new MaxRateSearch(TARGET_NS, 100, 200_000, 28, 0, quiet).search(noisy);
        assertEquals(0, once.rate(), "without a retry the first stall ends the search");
    }

    @Test
    void shouldRetryTheLastStepOfTheBudgetToo() throws Exception
    {
        final List<Double> tried = new ArrayList<>();
        final MaxRateSearch search = new MaxRateSearch(TARGET_NS, 100, 200_000, 4, 1,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        final MaxRateSearch.Outcome outcome = search.search((rate, step) ->
        {
            tried.add(rate);
            // the first run at 800/s, step 4 (the budget's last), is stalled by someone else
            return result(rate, rate, step == 4 ? 90_000 : 1_000, 0);
        });
        assertEquals(List.of(100.0, 200.0, 400.0, 800.0, 800.0), tried);
        assertEquals(800, outcome.rate(), "the budget's last step is a failure only when its retry fails too");
        assertEquals(5, outcome.steps());
        assertEquals(1, outcome.rescued());
    }
}
