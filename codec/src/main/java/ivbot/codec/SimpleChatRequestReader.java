package ivbot.codec;

import io.netty.util.concurrent.FastThreadLocal;
import ivbot.proto.ChatRequest;

import java.nio.charset.StandardCharsets;

/**
 * The fast path of {@link ChatJsonCodec#readChatRequest}: reads the chat request bodies clients actually send
 * without making a Jackson parser (a parser, its contexts and its symbol table were most of the bytes a cached
 * HTTP request allocated), and declines everything else, which Jackson then reads from the start.
 * <p>
 * It accepts exactly this: JSON whitespace, one object, then whitespace to the end; each member a known name
 * ({@code session_id}, {@code query}, {@code audience} with a string or {@code null}; {@code explain} with
 * {@code true}, {@code false} or {@code null}); names and strings without escapes or control characters, in
 * well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF). On that input Jackson gives the
 * same fields (duplicates: the last wins, as with Jackson); on any other input (an escape, a number, an unknown
 * name, a nested value, a byte order mark, a syntax error, malformed UTF-8) {@link #read} returns false having
 * decided nothing, so that every error and its message still come from Jackson.
 * <p>
 * Stateless; the body is copied into a per-thread array (see {@link #body}).
 */
final class SimpleChatRequestReader
{
    /** Bodies longer than this go to Jackson directly (and are not copied). */
    static final int MAX_BODY_BYTES = 4096;

    private static final FastThreadLocal<byte[]> BODY = new FastThreadLocal<>()
    {
        @Override
        protected byte[] initialValue()
        {
            return new byte[MAX_BODY_BYTES];
        }
    };

    // a body of MAX_BODY_BYTES decodes to at most as many chars
    private static final FastThreadLocal<char[]> CHARS = new FastThreadLocal<>()
    {
        @Override
        protected char[] initialValue()
        {
            return new char[MAX_BODY_BYTES];
        }
    };

    private static final byte[] SESSION_ID = ascii("session_id");
    private static final byte[] QUERY = ascii("query");
    private static final byte[] AUDIENCE = ascii("audience");
    private static final byte[] EXPLAIN = ascii("explain");
    private static final byte[] NULL = ascii("null");
    private static final byte[] TRUE = ascii("true");
    private static final byte[] FALSE = ascii("false");

    // a value's kinds, as found by value()
    private static final int DECLINE = 0;
    private static final int STRING = 1;
    private static final int LITERAL_NULL = 2;
    private static final int LITERAL_TRUE = 3;
    private static final int LITERAL_FALSE = 4;

    private SimpleChatRequestReader()
    {
    }

    /**
     * @param length the body's length, at most {@link #MAX_BODY_BYTES}.
     * @return the calling thread's array for a body: its content is the caller's until its next call.
     */
    static byte[] body(final int length)
    {
        assert length <= MAX_BODY_BYTES : length;
        return BODY.get();
    }

    /**
     * @param b       the body.
     * @param length  its length in {@code b}, from 0.
     * @param builder receives the fields when the body is accepted; may hold some of them when it is not.
     * @return true when the body was accepted and read; false to have Jackson read it.
     */
    static boolean read(final byte[] b, final int length, final ChatRequest.Builder builder)
    {
        int i = skipWhitespace(b, 0, length);
        if (i == length || b[i] != '{')
        {
            return false;
        }
        i = skipWhitespace(b, i + 1, length);
        if (i < length && b[i] == '}')
        {
            return skipWhitespace(b, i + 1, length) == length;
        }
        while (true)
        {
            // name
            if (i == length || b[i] != '"')
            {
                return false;
            }
            final int nameStart = i + 1;
            final int nameEnd = endOfString(b, nameStart, length);
            if (nameEnd < 0)
            {
                return false;
            }
            i = skipWhitespace(b, nameEnd + 1, length);
            if (i == length || b[i] != ':')
            {
                return false;
            }
            i = skipWhitespace(b, i + 1, length);
            // value
            final int kind;
            final int valueEnd;
            if (i == length)
            {
                return false;
            }
            if (b[i] == '"')
            {
                kind = STRING;
                valueEnd = endOfString(b, i + 1, length);
                if (valueEnd < 0)
                {
                    return false;
                }
            }
            else if (matches(b, i, length, NULL))
            {
                kind = LITERAL_NULL;
                valueEnd = i + NULL.length - 1;
            }
            else if (matches(b, i, length, TRUE))
            {
                kind = LITERAL_TRUE;
                valueEnd = i + TRUE.length - 1;
            }
            else if (matches(b, i, length, FALSE))
            {
                kind = LITERAL_FALSE;
                valueEnd = i + FALSE.length - 1;
            }
            else
            {
                return false;
            }
            if (!set(b, nameStart, nameEnd, kind, i + 1, valueEnd, builder))
            {
                return false;
            }
            // separator: a literal followed by anything but whitespace, ',' or '}' is Jackson's to refuse
            i = skipWhitespace(b, valueEnd + 1, length);
            if (i == length)
            {
                return false;
            }
            if (b[i] == '}')
            {
                return skipWhitespace(b, i + 1, length) == length;
            }
            if (b[i] != ',')
            {
                return false;
            }
            i = skipWhitespace(b, i + 1, length);
        }
    }

    private static boolean set(final byte[] b, final int nameStart, final int nameEnd, final int kind,
        final int valueStart, final int valueEnd, final ChatRequest.Builder builder)
    {
        if (nameIs(b, nameStart, nameEnd, EXPLAIN))
        {
            if (kind == STRING)
            {
                return false;
            }
            builder.setExplain(kind == LITERAL_TRUE);
            return true;
        }
        if (kind == LITERAL_TRUE || kind == LITERAL_FALSE)
        {
            return false;
        }
        final String value = kind == LITERAL_NULL ? "" : decode(b, valueStart, valueEnd);
        if (nameIs(b, nameStart, nameEnd, QUERY))
        {
            builder.setQuery(value);
        }
        else if (nameIs(b, nameStart, nameEnd, SESSION_ID))
        {
            builder.setSessionId(value);
        }
        else if (nameIs(b, nameStart, nameEnd, AUDIENCE))
        {
            builder.setAudience(value);
        }
        else
        {
            return false;
        }
        return true;
    }

    /**
     * @return the well-formed UTF-8 from {@code start} to {@code end} as a string: ASCII directly, anything else
     *         through the thread's char array ({@code new String(bytes, UTF_8)} sizes its buffer for the worst
     *         case and then copies it: three times the bytes of a Chinese query).
     */
    private static String decode(final byte[] b, final int start, final int end)
    {
        int i = start;
        while (i < end && b[i] >= 0)
        {
            i++;
        }
        if (i == end)
        {
            return new String(b, start, end - start, StandardCharsets.ISO_8859_1);
        }
        final char[] chars = CHARS.get();
        int n = 0;
        for (i = start; i < end; )
        {
            final int c = b[i] & 0xFF;
            if (c < 0x80)
            {
                chars[n++] = (char)c;
                i++;
            }
            else if (c < 0xE0)
            {
                chars[n++] = (char)((c & 0x1F) << 6 | b[i + 1] & 0x3F);
                i += 2;
            }
            else if (c < 0xF0)
            {
                chars[n++] = (char)((c & 0x0F) << 12 | (b[i + 1] & 0x3F) << 6 | b[i + 2] & 0x3F);
                i += 3;
            }
            else
            {
                final int codePoint = (c & 0x07) << 18 | (b[i + 1] & 0x3F) << 12 | (b[i + 2] & 0x3F) << 6 | b[i + 3] & 0x3F;
                chars[n++] = Character.highSurrogate(codePoint);
                chars[n++] = Character.lowSurrogate(codePoint);
                i += 4;
            }
        }
        return new String(chars, 0, n);
    }

    private static int skipWhitespace(final byte[] b, final int from, final int length)
    {
        int i = from;
        while (i < length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
        {
            i++;
        }
        return i;
    }

    private static boolean matches(final byte[] b, final int at, final int length, final byte[] literal)
    {
        if (length - at < literal.length)
        {
            return false;
        }
        for (int k = 0; k < literal.length; k++)
        {
            if (b[at + k] != literal[k])
            {
                return false;
            }
        }
        return true;
    }

    private static boolean nameIs(final byte[] b, final int start, final int end, final byte[] name)
    {
        return end - start == name.length && matches(b, start, end, name);
    }

    /**
     * @return the index of the closing quote of the string whose content starts at {@code from}, or -1 when it
     *         has an escape or a control character, is not well-formed UTF-8, or does not end.
     */
    private static int endOfString(final byte[] b, final int from, final int length)
    {
        int i = from;
        while (i < length)
        {
            final int c = b[i] & 0xFF;
            if (c == '"')
            {
                return i;
            }
            if (c == '\\' || c < 0x20)
            {
                return -1;
            }
            if (c < 0x80)
            {
                i++;
                continue;
            }
            final int n = wellFormedSequence(b, i, length);
            if (n < 0)
            {
                return -1;
            }
            i += n;
        }
        return -1;
    }

    /**
     * Well-formed UTF-8 as in the Unicode standard's table 3-7.
     *
     * @return the length of the multi-byte sequence at {@code i}, or -1.
     */
    private static int wellFormedSequence(final byte[] b, final int i, final int length)
    {
        final int c = b[i] & 0xFF;
        final int n;
        int lo = 0x80;
        int hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
        {
            n = 2;
        }
        else if (c >= 0xE0 && c <= 0xEF)
        {
            n = 3;
            if (c == 0xE0)
            {
                lo = 0xA0;
            }
            else if (c == 0xED)
            {
                hi = 0x9F;
            }
        }
        else if (c >= 0xF0 && c <= 0xF4)
        {
            n = 4;
            if (c == 0xF0)
            {
                lo = 0x90;
            }
            else if (c == 0xF4)
            {
                hi = 0x8F;
            }
        }
        else
        {
            return -1;
        }
        if (length - i < n)
        {
            return -1;
        }
        final int second = b[i + 1] & 0xFF;
        if (second < lo || second > hi)
        {
            return -1;
        }
        for (int k = 2; k < n; k++)
        {
            if ((b[i + k] & 0xC0) != 0x80)
            {
                return -1;
            }
        }
        return n;
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
