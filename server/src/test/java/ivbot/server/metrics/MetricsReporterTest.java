package ivbot.server.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import ivbot.inference.batch.FallbackReason;
import ivbot.server.TestServer;
import ivbot.server.intent.IntentClassifier;
import ivbot.server.session.InMemorySessionStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one reporter with the real recorders, a rules-only classifier, the in-process store and a fake clock:
 * interval and since-start figures, rates, resets, and the operator JSON and Prometheus text written from one
 * snapshot.
 */
class MetricsReporterTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AtomicLong nowNs = new AtomicLong(1_000_000_000L);
    private final InMemorySessionStore store = new InMemorySessionStore(100, 600, Ticker.systemTicker());
    private final IntentClassifier classifier = TestServer.rulesOnlyClassifier();
    private final ServerMetrics metrics = new ServerMetrics();
    private final MetricsReporter reporter = new MetricsReporter(metrics, classifier, store, nowNs::get);

    @AfterEach
    void close()
    {
        reporter.close();
        store.close();
    }

    @Test
    void shouldReportKnownPercentilesForTheIntervalAndSinceStart()
    {
        for (int us = 1; us <= 1000; us++)
        {
            metrics.record(Stage.SESSION_READ, us);
        }
        MetricsSnapshot s = reporter.roll();
        MetricsSnapshot.StageFigures read = s.stages().get(Stage.SESSION_READ);
        assertEquals(1000, read.lastInterval().count());
        assertEquals(500, read.lastInterval().p50(), 1);
        assertEquals(990, read.lastInterval().p99(), 1);
        assertEquals(1000, read.lastInterval().max(), 1);

        for (int i = 0; i < 10; i++)
        {
            metrics.record(Stage.SESSION_READ, 50_000);
        }
        s = reporter.roll();
        read = s.stages().get(Stage.SESSION_READ);
        assertEquals(10, read.lastInterval().count(), "the interval holds only what came after the last roll");
        assertEquals(50_000, read.lastInterval().p50(), 50);
        assertEquals(1010, read.sinceStart().count());
        assertEquals(50_000, read.sinceStart().max(), 50);
        assertEquals(1000, read.bucketsSinceStart().get(MetricsSnapshot.LATENCY_BUCKETS_S.indexOf(0.001)));

        s = reporter.roll();
        assertEquals(0, s.stages().get(Stage.SESSION_READ).lastInterval().count(), "an interval at rest reads 0");
        assertEquals(1010, s.stages().get(Stage.SESSION_READ).sinceStart().count());
    }

    @Test
    void shouldCountRepliesBySourceAndRateThemOverTheInterval()
    {
        metrics.recordReply(100, "model");
        metrics.recordReply(200, "cache");
        metrics.recordReply(300, "rules");
        metrics.recordReply(400, "rules");
        metrics.recordError("internal");
        nowNs.addAndGet(2_000_000_000L);
        final MetricsSnapshot s = reporter.roll();
        assertEquals(4, s.requestsTotal());
        assertEquals(1L, s.requests().get(ReplySource.MODEL));
        assertEquals(1L, s.requests().get(ReplySource.CACHE));
        assertEquals(2L, s.requests().get(ReplySource.RULES));
        assertEquals(1, s.errorsTotal());
        assertEquals(2.0, s.requestsPerSecondLastInterval(), 1e-9, "4 replies over 2 s of the fake clock");
        assertEquals(2.0, s.intervalSeconds(), 1e-9);
        assertEquals(2, s.uptimeSeconds());
        assertEquals(4, s.stages().get(Stage.TOTAL).sinceStart().count());

        nowNs.addAndGet(1_000_000_000L);
        assertEquals(0.0, reporter.roll().requestsPerSecondLastInterval(), "no replies in the last interval");
    }

    @Test
    void shouldCountErrorsByCodeInABoundedRegistry()
    {
        MetricsSnapshot s = reporter.roll();
        assertEquals(Map.of("internal", 0L), s.errors(), "internal is there before the first 500");
        metrics.recordError("internal");
        metrics.recordError("busy");
        metrics.recordError("busy");
        s = reporter.roll();
        assertEquals(Map.of("internal", 1L, "busy", 2L), s.errors());
        assertEquals(3, s.errorsTotal());
        assertTrue(PrometheusExporter.scrape(s).contains("ivbot_errors_total{code=\"busy\"} 2\n"));

        for (int i = 0; i < ServerMetrics.MAX_ERROR_CODES + 5; i++)
        {
            metrics.recordError("code_" + i);
        }
        s = reporter.roll();
        assertEquals(ServerMetrics.MAX_ERROR_CODES + 1, s.errors().size(), "past the cap, new codes share one key");
        assertEquals(ServerMetrics.MAX_ERROR_CODES + 8, s.errorsTotal(), "every error counted");
        assertTrue(s.errors().get(ServerMetrics.OTHER_CODE) > 0);
    }

    @Test
    void shouldForgetHistogramsButKeepCountersOnReset()
    {
        metrics.recordReply(100, "rules");
        reporter.roll();
        final MetricsSnapshot s = reporter.resetHistograms();
        assertEquals(0, s.stages().get(Stage.TOTAL).sinceStart().count());
        assertEquals(0, s.stages().get(Stage.TOTAL).lastInterval().count());
        assertEquals(1, s.requestsTotal());
    }

    @Test
    void shouldClampValuesOutsideTheRange()
    {
        metrics.record(Stage.AUTH, -5);
        metrics.record(Stage.AUTH, Long.MAX_VALUE);
        assertEquals(2, reporter.roll().stages().get(Stage.AUTH).lastInterval().count());
    }

    @Test
    void shouldPublishOneImmutableSnapshotUntilTheNextRoll()
    {
        final MetricsSnapshot before = reporter.snapshot();
        metrics.recordReply(100, "rules");
        assertSame(before, reporter.snapshot(), "readers see the last roll, not the live counters");
        assertEquals(0, reporter.snapshot().requestsTotal());
        assertEquals(1, reporter.roll().requestsTotal());
        assertEquals(0, before.requestsTotal(), "a published snapshot never changes");
    }

    @Test
    void shouldCountFallbacksForEveryReasonFromTheClassifier()
    {
        final ScheduledExecutorService loop = new ScheduledThreadPoolExecutor(1);
        try
        {
            classifier.classify("年假几天", loop, System.nanoTime()).join();
        }
        finally
        {
            loop.shutdownNow();
        }
        final MetricsSnapshot s = reporter.roll();
        assertEquals(FallbackReason.values().length, s.fallbacks().size());
        assertEquals(1L, s.fallbacks().get(FallbackReason.NO_MODEL));
    }

    @Test
    void shouldWriteTheOperatorJsonFromTheSnapshot() throws Exception
    {
        for (int i = 0; i < 10; i++)
        {
            metrics.recordReply(2_000 * (i + 1), "rules");
        }
        nowNs.addAndGet(2_000_000_000L);
        final MetricsSnapshot s = reporter.roll();
        final ByteBuf out = Unpooled.buffer();
        try
        {
            OpsStatsJson.write(s, out);
            final JsonNode json = JSON.readTree(out.toString(StandardCharsets.UTF_8));
            assertEquals(10, json.get("requests_total").asLong());
            assertEquals(5.0, json.get("qps").asDouble(), 1e-9);
            assertEquals(10.0, json.at("/latency_ms/p50").asDouble(), 0.05);
            assertEquals(20.0, json.at("/latency_ms/p99").asDouble(), 0.05);
            assertEquals(2, json.get("uptime_s").asLong());
            for (final FallbackReason reason : FallbackReason.values())
            {
                assertTrue(json.at("/fallbacks").has(reason.id()), reason.id());
            }
            assertEquals(0, json.at("/batch_size/max").asInt());
            assertEquals(0, json.at("/batch_size/counts").size());
            assertTrue(json.at("/model/version").isNull());
            assertEquals("memory", json.at("/session_store/kind").asText());
            assertTrue(json.at("/session_store/ready").asBoolean());
        }
        finally
        {
            out.release();
        }
    }

    @Test
    void shouldWritePrometheusTextFromTheSnapshot()
    {
        metrics.recordReply(1_000, "cache");
        final String text = PrometheusExporter.scrape(reporter.roll());
        assertTrue(text.contains("\nivbot_requests_total{source=\"cache\"} 1\n"), text);
        assertTrue(text.contains("\nivbot_stage_latency_seconds_count{stage=\"total\"} 1\n"), text);
        assertTrue(text.contains("\nivbot_batch_size_count 0\n"), text);
        assertFalse(text.contains("ivbot_model_info{"), "no model, no info sample");
        assertTrue(text.contains("\n# TYPE jvm_gc_collection_seconds summary\n"), text);
        assertNull(reporter.snapshot().model());
    }
}
