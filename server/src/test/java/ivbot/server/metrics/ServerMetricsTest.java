package ivbot.server.metrics;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerMetricsTest
{
    @Test
    void shouldReportKnownPercentilesForTheIntervalAndSinceStart()
    {
        final ServerMetrics metrics = new ServerMetrics();
        for (int us = 1; us <= 1000; us++)
        {
            metrics.record(Stage.SESSION_READ, us);
        }
        metrics.roll();
        final Histogram interval = metrics.histogram(Stage.SESSION_READ, true);
        assertEquals(1000, interval.getTotalCount());
        assertEquals(500, interval.getValueAtPercentile(50), 1);
        assertEquals(990, interval.getValueAtPercentile(99), 1);
        assertEquals(1000, interval.getMaxValue(), 1);

        for (int i = 0; i < 10; i++)
        {
            metrics.record(Stage.SESSION_READ, 50_000);
        }
        metrics.roll();
        final Histogram next = metrics.histogram(Stage.SESSION_READ, true);
        assertEquals(10, next.getTotalCount(), "the interval holds only what came after the last roll");
        assertEquals(50_000, next.getValueAtPercentile(50), 50);
        final Histogram total = metrics.histogram(Stage.SESSION_READ, false);
        assertEquals(1010, total.getTotalCount());
        assertEquals(50_000, total.getMaxValue(), 50);

        metrics.roll();
        assertEquals(0, metrics.histogram(Stage.SESSION_READ, true).getTotalCount());
        assertEquals(1010, metrics.histogram(Stage.SESSION_READ, false).getTotalCount());
    }

    @Test
    void shouldCountRepliesBySourceAndResetHistograms()
    {
        final ServerMetrics metrics = new ServerMetrics();
        metrics.recordReply(100, "model");
        metrics.recordReply(200, "cache");
        metrics.recordReply(300, "rules");
        metrics.recordReply(400, "rules");
        metrics.recordError();
        metrics.roll();
        assertEquals(4, metrics.replies());
        assertEquals(1, metrics.repliesFrom("model"));
        assertEquals(2, metrics.repliesFrom("rules"));
        assertEquals(1, metrics.errors());
        assertEquals(4, metrics.histogram(Stage.TOTAL, false).getTotalCount());
        assertTrue(metrics.repliesPerSecond() > 0);
        metrics.reset();
        assertEquals(0, metrics.histogram(Stage.TOTAL, false).getTotalCount());
    }

    @Test
    void shouldClampValuesOutsideTheRange()
    {
        final ServerMetrics metrics = new ServerMetrics();
        metrics.record(Stage.AUTH, -5);
        metrics.record(Stage.AUTH, Long.MAX_VALUE);
        metrics.roll();
        assertEquals(2, metrics.histogram(Stage.AUTH, true).getTotalCount());
    }
}
