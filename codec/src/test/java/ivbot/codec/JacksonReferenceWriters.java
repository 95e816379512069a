package ivbot.codec;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import ivbot.proto.ChatReply;
import ivbot.proto.Explanation;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The JSON writers of {@link ChatJsonCodec} as they were with Jackson's generator: the reference that
 * {@code JsonByteBufWriterTest} compares the generator-free ones with, byte for byte.
 */
final class JacksonReferenceWriters
{
    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private JacksonReferenceWriters()
    {
    }

    public static void writeChatReply(final ChatReply reply, final ByteBuf out)
    {
        try (JsonGenerator gen = generator(out))
        {
            gen.writeStartObject();
            gen.writeStringField("session_id", reply.getSessionId());
            gen.writeStringField("answer", reply.getAnswer());
            gen.writeStringField("intent", reply.getIntent());
            writeNullableString(gen, "audience", reply.getAudience());
            gen.writeNumberField("confidence", round4(reply.getConfidence()));
            gen.writeStringField("source", reply.getSource());
            writeNullableString(gen, "model_version", reply.getModelVersion());
            gen.writeNumberField("latency_ms", Math.round(reply.getLatencyMs() * 1_000.0) / 1_000.0);
            gen.writeNumberField("turn", reply.getTurn());
            if (!reply.getFallbackReason().isEmpty())
            {
                gen.writeStringField("fallback_reason", reply.getFallbackReason());
            }
            if (reply.getContextLost())
            {
                gen.writeBooleanField("context_lost", true);
            }
            if (reply.hasExplanation())
            {
                gen.writeFieldName("explanation");
                writeExplanation(gen, reply.getExplanation());
            }
            gen.writeEndObject();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Writes the JSON form of an explanation alone, as it appears under a reply's {@code explanation}.
     *
     * @param explanation the explanation.
     * @param out         the destination buffer.
     */
    public static void writeExplanation(final Explanation explanation, final ByteBuf out)
    {
        try (JsonGenerator gen = generator(out))
        {
            writeExplanation(gen, explanation);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /*
     * {"intent": "leave_annual", "model_version": "20261125-1", "latency_ms": 41.2,
     *  "top": [{"intent": "leave_annual", "probability": 0.97}, ...],
     *  "nearest": [{"text": "年假有几天", "intent": "leave_annual", "similarity": 0.98}, ...],
     *  "saliency": [{"token": "年", "weight": 0.41}, ...]}
     * and "skipped": "deadline" (with empty lists) when it was not computed
     */
    private static void writeExplanation(final JsonGenerator gen, final Explanation explanation) throws IOException
    {
        gen.writeStartObject();
        if (!explanation.getSkipped().isEmpty())
        {
            gen.writeStringField("skipped", explanation.getSkipped());
        }
        writeNullableString(gen, "intent", explanation.getIntent());
        writeNullableString(gen, "model_version", explanation.getModelVersion());
        gen.writeNumberField("latency_ms", Math.round(explanation.getLatencyMs() * 1_000.0) / 1_000.0);
        gen.writeArrayFieldStart("top");
        for (final Explanation.Top top : explanation.getTopList())
        {
            gen.writeStartObject();
            gen.writeStringField("intent", top.getIntent());
            gen.writeNumberField("probability", round4(top.getProbability()));
            gen.writeEndObject();
        }
        gen.writeEndArray();
        gen.writeArrayFieldStart("nearest");
        for (final Explanation.Nearest nearest : explanation.getNearestList())
        {
            gen.writeStartObject();
            gen.writeStringField("text", nearest.getText());
            gen.writeStringField("intent", nearest.getIntent());
            gen.writeNumberField("similarity", round4(nearest.getSimilarity()));
            gen.writeEndObject();
        }
        gen.writeEndArray();
        gen.writeArrayFieldStart("saliency");
        for (final Explanation.Token token : explanation.getSaliencyList())
        {
            gen.writeStartObject();
            gen.writeStringField("token", token.getToken());
            gen.writeNumberField("weight", round4(token.getWeight()));
            gen.writeEndObject();
        }
        gen.writeEndArray();
        gen.writeEndObject();
    }

    private static double round4(final float value)
    {
        return Math.round(value * 10_000.0) / 10_000.0;
    }

    /**
     * Writes {@code {"error": {"code": ..., "message": ...}}}.
     *
     * @param code    machine-readable code such as {@code "bad_request"}.
     * @param message human-readable explanation.
     * @param out     the destination buffer.
     */
    public static void writeError(final String code, final String message, final ByteBuf out)
    {
        try (JsonGenerator gen = generator(out))
        {
            gen.writeStartObject();
            gen.writeObjectFieldStart("error");
            gen.writeStringField("code", code);
            gen.writeStringField("message", message);
            gen.writeEndObject();
            gen.writeEndObject();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Writes a flat JSON object from alternating names and values; values may be {@link String},
     * {@link Number}, {@link Boolean} or {@code null}.
     *
     * @param out            the destination buffer.
     * @param namesAndValues name, value, name, value...
     */
    public static void writeObject(final ByteBuf out, final Object... namesAndValues)
    {
        if ((namesAndValues.length & 1) != 0)
        {
            throw new IllegalArgumentException("namesAndValues.length=" + namesAndValues.length + " (expected: even)");
        }
        try (JsonGenerator gen = generator(out))
        {
            gen.writeStartObject();
            for (int i = 0; i < namesAndValues.length; i += 2)
            {
                gen.writeFieldName((String)namesAndValues[i]);
                final Object value = namesAndValues[i + 1];
                if (value == null)
                {
                    gen.writeNull();
                }
                else if (value instanceof Boolean)
                {
                    gen.writeBoolean((Boolean)value);
                }
                else if (value instanceof Long || value instanceof Integer)
                {
                    gen.writeNumber(((Number)value).longValue());
                }
                else if (value instanceof Number)
                {
                    gen.writeNumber(((Number)value).doubleValue());
                }
                else
                {
                    gen.writeString(value.toString());
                }
            }
            gen.writeEndObject();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void writeNullableString(final JsonGenerator gen, final String name, final String value)
        throws IOException
    {
        if (value.isEmpty())
        {
            gen.writeNullField(name);
        }
        else
        {
            gen.writeStringField(name, value);
        }
    }

    private static JsonGenerator generator(final ByteBuf out) throws IOException
    {
        return FACTORY.createGenerator((java.io.OutputStream)new ByteBufOutputStream(out), JsonEncoding.UTF8);
    }
}
