package ivbot.analytics;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Turn events from their JSON (the server's {@code TurnEventJson}) and into the rows of {@code ivbot.turns}.
 * Reading ignores fields it does not know (a newer server's, such as {@code classify_ms}) and leaves missing ones
 * at their defaults ({@code ""}, 0, false); {@code unknown}, {@code decide_ms} and {@code session_write_ms} are read where present. Stateless, thread-safe.
 */
public final class TurnJson
{
    /** The {@code DateTime} and {@code Date} text ClickHouse parses, in UTC (the server's time zone, see ClickHouseProcess). */
    static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
    static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);

    private static final JsonFactory JSON = new JsonFactory();

    private TurnJson()
    {
    }

    /**
     * @param bytes one event's JSON object, UTF-8.
     * @return the turn.
     * @throws IOException when it is not a JSON object, or a field has the wrong type.
     */
    public static Turn parse(final byte[] bytes) throws IOException
    {
        try (JsonParser p = JSON.createParser(bytes))
        {
            if (p.nextToken() != JsonToken.START_OBJECT)
            {
                throw new IOException("not a JSON object");
            }
            final Turn t = new Turn();
            while (p.nextToken() == JsonToken.FIELD_NAME)
            {
                final String name = p.currentName();
                p.nextToken();
                field(p, name, t);
            }
            if (t.eventId.isEmpty())
            {
                throw new IOException("no event_id");
            }
            return t;
        }
    }

    private static void field(final JsonParser p, final String name, final Turn t) throws IOException
    {
        switch (name)
        {
            case "event_id" -> t.eventId = text(p);
            case "timestamp_ms" -> t.timestampMs = p.getLongValue();
            case "session_id" -> t.sessionId = text(p);
            case "user_hash" -> t.userHash = text(p);
            case "turn" -> t.turn = p.getIntValue();
            case "query" -> t.query = text(p);
            case "normalized_query" -> t.normalizedQuery = text(p);
            case "intent" -> t.intent = text(p);
            case "audience" -> t.audience = text(p);
            case "confidence" -> t.confidence = p.getFloatValue();
            case "margin" -> t.margin = p.getFloatValue();
            case "source" -> t.source = text(p);
            case "fallback_reason" -> t.fallbackReason = text(p);
            case "model_version" -> t.modelVersion = text(p);
            case "cohort" -> t.cohort = text(p);
            case "latency_ms" -> t.latencyMs = p.getFloatValue();
            case "context_lost" -> t.contextLost = p.getValueAsBoolean();
            case "clarifying" -> t.clarifying = p.getValueAsBoolean();
            case "unknown" -> t.unknown = p.getValueAsBoolean();
            case "decide_ms" -> t.decideMs = p.getFloatValue();
            case "session_write_ms" -> t.sessionWriteMs = p.getFloatValue();
            default -> p.skipChildren();
        }
    }

    private static String text(final JsonParser p) throws IOException
    {
        final String s = p.getValueAsString();
        return s == null ? "" : s;
    }

    /**
     * Writes the row of {@code ivbot.turns} for one turn: every event field, plus {@code time} (DateTime, UTC
     * seconds) and {@code day} (Date, UTC), the booleans as 0/1 (UInt8).
     *
     * @param t   the turn.
     * @param gen where to.
     * @throws IOException from the generator.
     */
    public static void writeRow(final Turn t, final JsonGenerator gen) throws IOException
    {
        final Instant at = Instant.ofEpochMilli(t.timestampMs);
        gen.writeStartObject();
        gen.writeStringField("event_id", t.eventId);
        gen.writeNumberField("timestamp_ms", t.timestampMs);
        gen.writeStringField("time", DATE_TIME.format(at));
        gen.writeStringField("day", DATE.format(at));
        gen.writeStringField("session_id", t.sessionId);
        gen.writeStringField("user_hash", t.userHash);
        gen.writeNumberField("turn", t.turn);
        gen.writeStringField("query", t.query);
        gen.writeStringField("normalized_query", t.normalizedQuery);
        gen.writeStringField("intent", t.intent);
        gen.writeStringField("audience", t.audience);
        gen.writeNumberField("confidence", t.confidence);
        gen.writeNumberField("margin", t.margin);
        gen.writeStringField("source", t.source);
        gen.writeStringField("fallback_reason", t.fallbackReason);
        gen.writeStringField("model_version", t.modelVersion);
        gen.writeStringField("cohort", t.cohort);
        gen.writeNumberField("latency_ms", t.latencyMs);
        gen.writeNumberField("context_lost", t.contextLost ? 1 : 0);
        gen.writeNumberField("clarifying", t.clarifying ? 1 : 0);
        gen.writeNumberField("unknown", t.unknown ? 1 : 0);
        gen.writeNumberField("decide_ms", t.decideMs);
        gen.writeNumberField("session_write_ms", t.sessionWriteMs);
        gen.writeEndObject();
    }
}
