package ivbot.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import ivbot.server.session.InMemorySessionStore;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpsStatsTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode write(final OpsStats stats) throws IOException
    {
        final ByteBuf out = Unpooled.buffer();
        try
        {
            stats.write(out);
            return JSON.readTree(out.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            out.release();
        }
    }

    @Test
    void shouldWriteEveryFieldWithZerosBeforeAnyRequest() throws IOException
    {
        try (InMemorySessionStore store = new InMemorySessionStore(10, 600, Ticker.systemTicker()))
        {
            final JsonNode json = write(OpsStats.simple(store));
            assertEquals(0, json.get("requests_total").asLong());
            assertEquals(0.0, json.get("qps").asDouble());
            assertEquals(0.0, json.at("/latency_ms/p50").asDouble());
            assertEquals(0.0, json.at("/latency_ms/p99").asDouble());
            for (final String reason : new String[] {"deadline", "queue_full", "model_error", "no_model"})
            {
                assertEquals(0, json.at("/fallbacks/" + reason).asLong(), reason);
            }
            assertTrue(json.get("fallback_share").isNumber());
            assertTrue(json.get("cache_hit_rate").isNumber());
            assertEquals(0, json.at("/batch_size/max").asInt());
            assertTrue(json.at("/batch_size/counts").isArray());
            assertTrue(json.at("/model/version").isNull());
            assertTrue(json.at("/model/device").isNull());
            assertEquals("memory", json.at("/session_store/kind").asText());
            assertTrue(json.at("/session_store/ready").asBoolean());
            assertTrue(json.get("uptime_s").isIntegralNumber());
        }
    }

    @Test
    void shouldDeriveQpsAndPercentilesFromRecordedLatencies() throws IOException
    {
        final AtomicLong nowNs = new AtomicLong(1_000_000_000L);
        try (InMemorySessionStore store = new InMemorySessionStore(10, 600, Ticker.systemTicker()))
        {
            final OpsStats.SimpleSource source = new OpsStats.SimpleSource(store, nowNs::get);
            final OpsStats stats = new OpsStats(source, source::recordChatUs);
            for (int i = 1; i <= 100; i++)
            {
                stats.recordChat(i * 1000L);
            }
            nowNs.addAndGet(2_000_000_000L);
            final JsonNode json = write(stats);
            assertEquals(100, json.get("requests_total").asLong());
            assertEquals(50.0, json.get("qps").asDouble(), 0.001);
            assertEquals(50.0, json.at("/latency_ms/p50").asDouble(), 0.1);
            assertEquals(99.0, json.at("/latency_ms/p99").asDouble(), 0.1);
            assertEquals(2, json.get("uptime_s").asLong());

            // within the same second a second reader sees the same figures
            stats.recordChat(5_000_000L);
            assertEquals(json, write(stats));

            nowNs.addAndGet(1_000_000_000L);
            final JsonNode next = write(stats);
            assertEquals(101, next.get("requests_total").asLong());
            assertEquals(1.0, next.get("qps").asDouble(), 0.001);
            assertEquals(5000.0, next.at("/latency_ms/p99").asDouble(), 5.0);
        }
    }

    @Test
    void shouldWriteBatchSizesAsPairs() throws IOException
    {
        final JsonNode json = write(new OpsStats(new BatchSource(), us -> { }));
        assertEquals("[[1,7],[2,0],[3,2]]", json.at("/batch_size/counts").toString());
        assertEquals(3, json.at("/batch_size/max").asInt());
        assertEquals("v3", json.at("/model/version").asText());
        assertEquals("cpu", json.at("/model/device").asText());
        assertEquals(0.5, json.get("cache_hit_rate").asDouble());
    }

    private static final class BatchSource implements OpsStats.Source
    {
        @Override public long uptimeSeconds() { return 1; }
        @Override public long requestsTotal() { return 9; }
        @Override public double qps() { return 9; }
        @Override public double latencyP50Ms() { return 1; }
        @Override public double latencyP99Ms() { return 2; }
        @Override public long fallbacks(final ivbot.inference.batch.FallbackReason reason) { return 0; }
        @Override public double fallbackShare() { return 0; }
        @Override public double cacheHitRate() { return 0.5; }
        @Override public double batchSizeP50() { return 1; }
        @Override public int batchSizeMax() { return 3; }
        @Override public long batchSizeCount(final int size) { return size == 1 ? 7 : size == 3 ? 2 : 0; }
        @Override public String modelVersion() { return "v3"; }
        @Override public String modelDevice() { return "cpu"; }
        @Override public String sessionStoreKind() { return "memory"; }
        @Override public boolean sessionStoreReady() { return true; }
    }
}
