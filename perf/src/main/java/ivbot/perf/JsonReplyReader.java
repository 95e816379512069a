package ivbot.perf;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads the few fields the harness needs from an HTTP reply body: {@code session_id}, {@code source},
 * {@code fallback_reason} of a chat reply, and {@code error.code} of an error body. Other fields are
 * skipped with Jackson's streaming parser (no tree, no data binding).
 * <p>
 * Stateless and thread-safe. Never releases the buffer it reads.
 */
final class JsonReplyReader
{
    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    /**
     * The fields read; empty strings for absent or non-string ones.
     *
     * @param sessionId      {@code session_id}.
     * @param source         {@code source}: rules, model or cache.
     * @param fallbackReason {@code fallback_reason}.
     * @param errorCode      {@code error.code}.
     */
    record Reply(String sessionId, String source, String fallbackReason, String errorCode)
    {
    }

    /** What an unreadable body reads as. */
    static final Reply UNREADABLE = new Reply("", "", "", "unreadable_body");

    private JsonReplyReader()
    {
    }

    /**
     * @param content the body, read from its reader index without moving it.
     * @return the fields, or {@link #UNREADABLE} when the body is not a JSON object.
     */
    static Reply read(final ByteBuf content)
    {
        String sessionId = "";
        String source = "";
        String fallbackReason = "";
        String errorCode = "";
        try (JsonParser parser = FACTORY.createParser((InputStream)new ByteBufInputStream(content.duplicate())))
        {
            if (parser.nextToken() != JsonToken.START_OBJECT)
            {
                return UNREADABLE;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME)
            {
                final String name = parser.currentName();
                final JsonToken value = parser.nextToken();
                switch (name)
                {
                    case "session_id":
                        sessionId = text(parser, value);
                        break;
                    case "source":
                        source = text(parser, value);
                        break;
                    case "fallback_reason":
                        fallbackReason = text(parser, value);
                        break;
                    case "error":
                        errorCode = readErrorCode(parser, value);
                        break;
                    default:
                        parser.skipChildren();
                        break;
                }
            }
        }
        catch (final IOException ex)
        {
            return UNREADABLE;
        }
        return new Reply(sessionId, source, fallbackReason, errorCode);
    }

    private static String readErrorCode(final JsonParser parser, final JsonToken value) throws IOException
    {
        if (value != JsonToken.START_OBJECT)
        {
            parser.skipChildren();
            return "";
        }
        String code = "";
        while (parser.nextToken() == JsonToken.FIELD_NAME)
        {
            final String name = parser.currentName();
            final JsonToken inner = parser.nextToken();
            if ("code".equals(name))
            {
                code = text(parser, inner);
            }
            else
            {
                parser.skipChildren();
            }
        }
        return code;
    }

    private static String text(final JsonParser parser, final JsonToken value) throws IOException
    {
        if (value == JsonToken.VALUE_STRING)
        {
            return parser.getText();
        }
        parser.skipChildren();
        return "";
    }
}
