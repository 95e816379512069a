package ivbot.server.events;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import ivbot.proto.TurnEvent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A turn event as JSON, the same in the files and on Kafka: one object, the snake_case field names of
 * {@code TurnEvent}. Stateless.
 */
public final class TurnEventJson
{
    private static final JsonFactory JSON = new JsonFactory();

    private TurnEventJson()
    {
    }

    /**
     * @param e an event.
     * @return its JSON object, UTF-8.
     */
    public static byte[] toBytes(final TurnEvent e)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator gen = JSON.createGenerator(out, JsonEncoding.UTF8))
        {
            write(gen, e);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    /**
     * Writes one event as a JSON object.
     *
     * @param gen the generator.
     * @param e   the event.
     * @throws IOException from the generator.
     */
    public static void write(final JsonGenerator gen, final TurnEvent e) throws IOException
    {
        gen.writeStartObject();
        gen.writeStringField("event_id", e.getEventId());
        gen.writeNumberField("timestamp_ms", e.getTimestampMs());
        gen.writeStringField("session_id", e.getSessionId());
        gen.writeStringField("user_hash", e.getUserHash());
        gen.writeNumberField("turn", e.getTurn());
        gen.writeStringField("query", e.getQuery());
        gen.writeStringField("normalized_query", e.getNormalizedQuery());
        gen.writeStringField("intent", e.getIntent());
        gen.writeStringField("audience", e.getAudience());
        gen.writeNumberField("confidence", e.getConfidence());
        gen.writeNumberField("margin", e.getMargin());
        gen.writeStringField("source", e.getSource());
        gen.writeStringField("fallback_reason", e.getFallbackReason());
        gen.writeStringField("model_version", e.getModelVersion());
        gen.writeStringField("cohort", e.getCohort());
        gen.writeNumberField("latency_ms", e.getLatencyMs());
        gen.writeBooleanField("context_lost", e.getContextLost());
        gen.writeBooleanField("clarifying", e.getClarifying());
        gen.writeBooleanField("unknown", e.getUnknown());
        gen.writeNumberField("decide_ms", e.getDecideMs());
        gen.writeNumberField("session_write_ms", e.getSessionWriteMs());
        gen.writeEndObject();
    }

}
