package ivbot.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import ivbot.proto.ChatReply;
import ivbot.proto.ChatRequest;
import ivbot.proto.Explanation;

import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maps the JSON bodies of the HTTP API to and from the protobuf messages, so both transports share one
 * message model. Field names are the proto field names ({@code session_id}, {@code query}, ...).
 * <p>
 * Thread-safe. Readers never release the buffer they read; writers append to the caller's buffer, which
 * the caller keeps owning. The only state is a bounded map from long reply strings (in practice the
 * knowledge base's few hundred answers) to their escaped UTF-8 form, so that an answer is encoded once,
 * not on every reply; once it holds {@value #MAX_ENCODED_STRINGS} entries, further strings are encoded
 * each time.
 */
public final class ChatJsonCodec
{
    private static final JsonFactory FACTORY = JsonFactory.builder().build();
    private static final int MAX_ENCODED_STRINGS = 4096;
    private static final int MIN_ENCODED_CHARS = 32;
    private static final ConcurrentHashMap<String, byte[]> ENCODED = new ConcurrentHashMap<>();
    private static final byte[] OPEN = {'{'};
    private static final byte[] COMMA_OPEN = {',', '{'};

    private ChatJsonCodec()
    {
    }

    /**
     * Reads a chat request body: a JSON object with optional string fields {@code session_id},
     * {@code query} and {@code audience}, and an optional boolean {@code explain} ({@code null} reads as
     * absent). Unknown fields are ignored.
     *
     * @param content the body, read from its reader index; not released.
     * @return a builder holding the fields present.
     * @throws MalformedJsonException when the body is not one JSON object or a field has the wrong type.
     */
    public static ChatRequest.Builder readChatRequest(final ByteBuf content) throws MalformedJsonException
    {
        final ChatRequest.Builder builder = ChatRequest.newBuilder();
        final int length = content.readableBytes();
        if (length <= SimpleChatRequestReader.MAX_BODY_BYTES)
        {
            final byte[] body = SimpleChatRequestReader.body(length);
            content.getBytes(content.readerIndex(), body, 0, length);
            if (SimpleChatRequestReader.read(body, length, builder))
            {
                return builder;
            }
            // anything out of the ordinary is read again, from the start, by Jackson: it decides, and says why
            builder.clear();
        }
        return readWithJackson(content, builder);
    }

    /**
     * {@link #readChatRequest} with Jackson alone (the fallback of its fast path, and what tests compare the
     * fast path with).
     */
    static ChatRequest.Builder readWithJackson(final ByteBuf content, final ChatRequest.Builder builder)
        throws MalformedJsonException
    {
        try (JsonParser parser = FACTORY.createParser((java.io.InputStream)new ByteBufInputStream(content.duplicate())))
        {
            if (parser.nextToken() != JsonToken.START_OBJECT)
            {
                throw new MalformedJsonException("request body must be a JSON object");
            }
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME)
            {
                final String name = parser.currentName();
                final JsonToken value = parser.nextToken();
                switch (name)
                {
                    case "session_id":
                        builder.setSessionId(readString(parser, value, name));
                        break;
                    case "query":
                        builder.setQuery(readString(parser, value, name));
                        break;
                    case "audience":
                        builder.setAudience(readString(parser, value, name));
                        break;
                    case "explain":
                        builder.setExplain(readBoolean(value, name));
                        break;
                    default:
                        parser.skipChildren();
                        break;
                }
            }
            if (token != JsonToken.END_OBJECT || parser.nextToken() != null)
            {
                throw new MalformedJsonException("request body must be exactly one JSON object");
            }
        }
        catch (final JsonProcessingException ex)
        {
            // the parser's own message names its internals (tokens, codes, limits): say only where
            final com.fasterxml.jackson.core.JsonLocation at = ex.getLocation();
            throw new MalformedJsonException(at == null || at.getLineNr() < 0 ? "malformed JSON" :
                "malformed JSON at line " + at.getLineNr() + ", column " + at.getColumnNr());
        }
        catch (final IOException ex)
        {
            throw new MalformedJsonException("unreadable body");
        }
        return builder;
    }

    private static String readString(final JsonParser parser, final JsonToken value, final String name)
        throws IOException, MalformedJsonException
    {
        if (value == JsonToken.VALUE_NULL)
        {
            return "";
        }
        if (value != JsonToken.VALUE_STRING)
        {
            throw new MalformedJsonException("field '" + name + "' must be a string");
        }
        return parser.getText();
    }

    private static boolean readBoolean(final JsonToken value, final String name) throws MalformedJsonException
    {
        if (value == JsonToken.VALUE_NULL || value == JsonToken.VALUE_FALSE)
        {
            return false;
        }
        if (value != JsonToken.VALUE_TRUE)
        {
            throw new MalformedJsonException("field '" + name + "' must be true or false");
        }
        return true;
    }

    /**
     * Writes the JSON form of a reply: {@code session_id, answer, intent, audience, confidence, source,
     * model_version, latency_ms, turn}, plus {@code fallback_reason}, {@code context_lost} and
     * {@code explanation} when set.
     * An empty audience is written as {@code null}.
     *
     * @param reply the reply.
     * @param out   the destination buffer.
     */
    public static void writeChatReply(final ChatReply reply, final ByteBuf out)
    {
        out.writeByte('{');
        stringField(out, true, "session_id", reply.getSessionId());
        recurringStringField(out, "answer", reply.getAnswer());
        stringField(out, false, "intent", reply.getIntent());
        nullableStringField(out, false, "audience", reply.getAudience());
        numberField(out, false, "confidence", round4(reply.getConfidence()));
        stringField(out, false, "source", reply.getSource());
        nullableStringField(out, false, "model_version", reply.getModelVersion());
        numberField(out, false, "latency_ms", Math.round(reply.getLatencyMs() * 1_000.0) / 1_000.0);
        JsonByteBufWriter.name(out, false, "turn");
        JsonByteBufWriter.number(out, reply.getTurn());
        if (!reply.getFallbackReason().isEmpty())
        {
            stringField(out, false, "fallback_reason", reply.getFallbackReason());
        }
        if (reply.getContextLost())
        {
            JsonByteBufWriter.name(out, false, "context_lost");
            JsonByteBufWriter.bool(out, true);
        }
        if (reply.hasExplanation())
        {
            JsonByteBufWriter.name(out, false, "explanation");
            writeExplanation(reply.getExplanation(), out);
        }
        out.writeByte('}');
    }

    /**
     * Writes the JSON form of an explanation alone, as it appears under a reply's {@code explanation}:
     * <pre>
     * {"intent": "leave_annual", "model_version": "20261125-1", "latency_ms": 41.2,
     *  "top": [{"intent": "leave_annual", "probability": 0.97}, ...],
     *  "nearest": [{"text": "年假有几天", "intent": "leave_annual", "similarity": 0.98}, ...],
     *  "saliency": [{"token": "年", "weight": 0.41}, ...]}
     * </pre>
     * with {@code "skipped": "deadline"} first (and empty lists) when it was not computed.
     *
     * @param explanation the explanation.
     * @param out         the destination buffer.
     */
    public static void writeExplanation(final Explanation explanation, final ByteBuf out)
    {
        out.writeByte('{');
        boolean first = true;
        if (!explanation.getSkipped().isEmpty())
        {
            stringField(out, true, "skipped", explanation.getSkipped());
            first = false;
        }
        nullableStringField(out, first, "intent", explanation.getIntent());
        nullableStringField(out, false, "model_version", explanation.getModelVersion());
        numberField(out, false, "latency_ms", Math.round(explanation.getLatencyMs() * 1_000.0) / 1_000.0);
        JsonByteBufWriter.name(out, false, "top");
        out.writeByte('[');
        first = true;
        for (final Explanation.Top top : explanation.getTopList())
        {
            out.writeBytes(first ? OPEN : COMMA_OPEN);
            first = false;
            stringField(out, true, "intent", top.getIntent());
            numberField(out, false, "probability", round4(top.getProbability()));
            out.writeByte('}');
        }
        out.writeByte(']');
        JsonByteBufWriter.name(out, false, "nearest");
        out.writeByte('[');
        first = true;
        for (final Explanation.Nearest nearest : explanation.getNearestList())
        {
            out.writeBytes(first ? OPEN : COMMA_OPEN);
            first = false;
            stringField(out, true, "text", nearest.getText());
            stringField(out, false, "intent", nearest.getIntent());
            numberField(out, false, "similarity", round4(nearest.getSimilarity()));
            out.writeByte('}');
        }
        out.writeByte(']');
        JsonByteBufWriter.name(out, false, "saliency");
        out.writeByte('[');
        first = true;
        for (final Explanation.Token token : explanation.getSaliencyList())
        {
            out.writeBytes(first ? OPEN : COMMA_OPEN);
            first = false;
            stringField(out, true, "token", token.getToken());
            numberField(out, false, "weight", round4(token.getWeight()));
            out.writeByte('}');
        }
        out.writeByte(']');
        out.writeByte('}');
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
        out.writeByte('{');
        JsonByteBufWriter.name(out, true, "error");
        out.writeByte('{');
        stringField(out, true, "code", code);
        stringField(out, false, "message", message);
        out.writeByte('}');
        out.writeByte('}');
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
        out.writeByte('{');
        for (int i = 0; i < namesAndValues.length; i += 2)
        {
            JsonByteBufWriter.name(out, i == 0, (String)namesAndValues[i]);
            final Object value = namesAndValues[i + 1];
            if (value == null)
            {
                JsonByteBufWriter.nullValue(out);
            }
            else if (value instanceof Boolean)
            {
                JsonByteBufWriter.bool(out, (Boolean)value);
            }
            else if (value instanceof Long || value instanceof Integer)
            {
                JsonByteBufWriter.number(out, ((Number)value).longValue());
            }
            else if (value instanceof Number)
            {
                JsonByteBufWriter.number(out, ((Number)value).doubleValue());
            }
            else
            {
                JsonByteBufWriter.string(out, value.toString());
            }
        }
        out.writeByte('}');
    }

    private static void stringField(final ByteBuf out, final boolean first, final String name, final String value)
    {
        JsonByteBufWriter.name(out, first, name);
        JsonByteBufWriter.string(out, value);
    }

    private static void numberField(final ByteBuf out, final boolean first, final String name, final double value)
    {
        JsonByteBufWriter.name(out, first, name);
        JsonByteBufWriter.number(out, value);
    }

    private static void nullableStringField(final ByteBuf out, final boolean first, final String name, final String value)
    {
        JsonByteBufWriter.name(out, first, name);
        if (value.isEmpty())
        {
            JsonByteBufWriter.nullValue(out);
        }
        else
        {
            JsonByteBufWriter.string(out, value);
        }
    }

    private static void recurringStringField(final ByteBuf out, final String name, final String value)
    {
        if (value.length() < MIN_ENCODED_CHARS)
        {
            stringField(out, false, name, value);
            return;
        }
        byte[] encoded = ENCODED.get(value);
        if (encoded == null)
        {
            encoded = escapedUtf8(value);
            if (ENCODED.size() < MAX_ENCODED_STRINGS)
            {
                ENCODED.putIfAbsent(value, encoded);
            }
        }
        JsonByteBufWriter.name(out, false, name);
        out.writeByte('"');
        out.writeBytes(encoded);
        out.writeByte('"');
    }

    /**
     * @return {@code value} as a JSON string's content (escaped, UTF-8), without the quotes.
     */
    private static byte[] escapedUtf8(final String value)
    {
        final ByteBuf out = Unpooled.buffer(value.length() * 3 + 2);
        try
        {
            JsonByteBufWriter.stringContent(out, value);
            final byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            return bytes;
        }
        finally
        {
            out.release();
        }
    }
}
