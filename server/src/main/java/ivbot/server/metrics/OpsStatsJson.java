package ivbot.server.metrics;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import ivbot.inference.batch.FallbackReason;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link MetricsSnapshot} as the body of {@code GET /v1/ops/stats}, polled by the operator page every
 * 2 s:
 * <pre>
 * {"uptime_s": n, "requests_total": n, "qps": x, "latency_ms": {"p50": x, "p99": x},
 *  "fallbacks": {"deadline": n, "queue_full": n, "model_error": n, "no_model": n, "user_share": n}, "fallback_share": x,
 *  "cache_hit_rate": x, "batch_size": {"p50": x, "max": n, "counts": [[1, n], [2, n], ...]},
 *  "model": {"version": s|null, "device": s|null},
 *  "session_store": {"kind": "memory"|"redis ...", "ready": bool}}
 * </pre>
 * {@code qps} and {@code latency_ms} cover the last reporter interval; counters, shares and {@code batch_size}
 * cover the time since start. {@code fallbacks} has one field per {@link FallbackReason}. Stateless; any
 * thread.
 */
public final class OpsStatsJson
{
    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private OpsStatsJson()
    {
    }

    /**
     * Writes the JSON body.
     *
     * @param s   the snapshot.
     * @param out the destination; the caller owns it.
     */
    public static void write(final MetricsSnapshot s, final ByteBuf out)
    {
        try (JsonGenerator gen = FACTORY.createGenerator((OutputStream)new ByteBufOutputStream(out), JsonEncoding.UTF8))
        {
            final MetricsSnapshot.Percentiles latency = s.stages().get(Stage.TOTAL).lastInterval();
            gen.writeStartObject();
            gen.writeNumberField("uptime_s", s.uptimeSeconds());
            gen.writeNumberField("requests_total", s.requestsTotal());
            gen.writeNumberField("qps", round3(s.requestsPerSecondLastInterval()));
            gen.writeObjectFieldStart("latency_ms");
            gen.writeNumberField("p50", round3(latency.p50() / 1000.0));
            gen.writeNumberField("p99", round3(latency.p99() / 1000.0));
            gen.writeEndObject();
            gen.writeObjectFieldStart("fallbacks");
            for (final Map.Entry<FallbackReason, Long> e : s.fallbacks().entrySet())
            {
                gen.writeNumberField(e.getKey().id(), e.getValue());
            }
            gen.writeEndObject();
            gen.writeNumberField("fallback_share", round3(s.fallbackShare()));
            gen.writeNumberField("cache_hit_rate", round3(s.cacheHitRate()));
            writeBatchSizes(gen, s.batches());
            final MetricsSnapshot.ModelFigures model = s.model();
            gen.writeObjectFieldStart("model");
            writeNullable(gen, "version", model == null ? null : model.version());
            writeNullable(gen, "device", model == null ? null : model.device());
            gen.writeEndObject();
            gen.writeObjectFieldStart("session_store");
            gen.writeStringField("kind", s.store().kind());
            gen.writeBooleanField("ready", s.store().ready());
            gen.writeEndObject();
            gen.writeEndObject();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void writeBatchSizes(final JsonGenerator gen, final MetricsSnapshot.BatchFigures batches) throws IOException
    {
        final List<Long> counts = batches.countsSinceStart();
        gen.writeObjectFieldStart("batch_size");
        gen.writeNumberField("p50", round3(batches.sinceStart().p50()));
        gen.writeNumberField("max", counts.size());
        gen.writeArrayFieldStart("counts");
        for (int size = 1; size <= counts.size(); size++)
        {
            gen.writeStartArray();
            gen.writeNumber(size);
            gen.writeNumber(counts.get(size - 1));
            gen.writeEndArray();
        }
        gen.writeEndArray();
        gen.writeEndObject();
    }

    private static void writeNullable(final JsonGenerator gen, final String name, final String value) throws IOException
    {
        if (value == null)
        {
            gen.writeNullField(name);
        }
        else
        {
            gen.writeStringField(name, value);
        }
    }

    private static double round3(final double value)
    {
        return Double.isFinite(value) ? Math.round(value * 1000.0) / 1000.0 : 0.0;
    }
}
