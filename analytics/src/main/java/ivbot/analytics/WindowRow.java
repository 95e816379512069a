package ivbot.analytics;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.time.Instant;

/**
 * One row of {@code ivbot.windows}: the figures of one 5-second event-time window of one (intent, model
 * version). A late event re-emits the whole row with a newer {@code emittedMs}; ReplacingMergeTree(emitted_ms)
 * keeps the newest. A Flink POJO.
 */
public final class WindowRow
{
    /** The window's start, ms since the epoch (a multiple of 5,000). */
    public long windowStartMs;
    public String intent = "";
    public String modelVersion = "";
    public long turns;
    public double latencyMeanMs;
    public double latencyP99Ms;
    public double fallbackShare;
    public double lowConfidenceShare;
    public double clarifyingShare;
    /** When this version of the row was made (wall clock, ms): the version column of the table. */
    public long emittedMs;

    /** For Flink. */
    public WindowRow()
    {
    }

    static WindowRow of(final long windowStartMs, final WindowAccumulator acc, final long emittedMs)
    {
        final WindowRow row = new WindowRow();
        final double n = Math.max(1, acc.turns);
        row.windowStartMs = windowStartMs;
        row.intent = acc.intent;
        row.modelVersion = acc.modelVersion;
        row.turns = acc.turns;
        row.latencyMeanMs = acc.latencySumMs / n;
        row.latencyP99Ms = acc.p99Ms();
        row.fallbackShare = acc.fallbacks / n;
        row.lowConfidenceShare = acc.lowConfidence / n;
        row.clarifyingShare = acc.clarifying / n;
        row.emittedMs = emittedMs;
        return row;
    }

    /**
     * Writes the row for {@code JSONEachRow}.
     *
     * @param row the row.
     * @param gen where to.
     * @throws IOException from the generator.
     */
    static void write(final WindowRow row, final JsonGenerator gen) throws IOException
    {
        final Instant start = Instant.ofEpochMilli(row.windowStartMs);
        gen.writeStartObject();
        gen.writeStringField("window_start", TurnJson.DATE_TIME.format(start));
        gen.writeStringField("day", TurnJson.DATE.format(start));
        gen.writeStringField("intent", row.intent);
        gen.writeStringField("model_version", row.modelVersion);
        gen.writeNumberField("turns", row.turns);
        gen.writeNumberField("latency_mean_ms", row.latencyMeanMs);
        gen.writeNumberField("latency_p99_ms", row.latencyP99Ms);
        gen.writeNumberField("fallback_share", row.fallbackShare);
        gen.writeNumberField("low_confidence_share", row.lowConfidenceShare);
        gen.writeNumberField("clarifying_share", row.clarifyingShare);
        gen.writeNumberField("emitted_ms", row.emittedMs);
        gen.writeEndObject();
    }
}
