package ivbot.codec;

import io.netty.buffer.ByteBuf;

/**
 * Writes JSON straight into a {@link ByteBuf}, byte for byte as Jackson's {@code UTF8JsonGenerator} does with
 * its default settings (see {@code JsonByteBufWriterTest}), without making a generator per message:
 * strings in UTF-8 with {@code "}, {@code \} and the control characters escaped ({@code \b \t \n \f \r}, the
 * others as a backslash, {@code u} and four upper-case hex digits), each UTF-16 surrogate escaped that way too;
 * doubles as {@link Double#toString}
 * (not finite: the same, quoted); no whitespace.
 * <p>
 * The caller writes the structure: {@link #name} puts the comma before every member but an object's first.
 * Static and stateless; the buffer is the caller's.
 */
final class JsonByteBufWriter
{
    private static final byte[] HEX = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};

    private JsonByteBufWriter()
    {
    }

    /**
     * Writes {@code "name":}, after a comma unless it is the object's first member.
     *
     * @param out   the buffer.
     * @param first whether this is the first member of its object.
     * @param name  the name.
     */
    static void name(final ByteBuf out, final boolean first, final String name)
    {
        if (!first)
        {
            out.writeByte(',');
        }
        string(out, name);
        out.writeByte(':');
    }

    /**
     * @param out   the buffer.
     * @param value a string, written quoted and escaped.
     */
    static void string(final ByteBuf out, final String value)
    {
        out.writeByte('"');
        stringContent(out, value);
        out.writeByte('"');
    }

    /**
     * @param out   the buffer.
     * @param value a string, written escaped, without quotes.
     */
    static void stringContent(final ByteBuf out, final String value)
    {
        final int length = value.length();
        out.ensureWritable(length + 2);
        for (int i = 0; i < length; i++)
        {
            final char c = value.charAt(i);
            if (c < 0x80)
            {
                if (c >= 0x20 && c != '"' && c != '\\')
                {
                    out.writeByte(c);
                }
                else
                {
                    escape(out, c);
                }
            }
            else if (c < 0x800)
            {
                out.writeByte(0xC0 | (c >> 6));
                out.writeByte(0x80 | (c & 0x3F));
            }
            else if (Character.isSurrogate(c))
            {
                unicodeEscape(out, c);
            }
            else
            {
                out.writeByte(0xE0 | (c >> 12));
                out.writeByte(0x80 | ((c >> 6) & 0x3F));
                out.writeByte(0x80 | (c & 0x3F));
            }
        }
    }

    private static void escape(final ByteBuf out, final char c)
    {
        final char shortForm;
        switch (c)
        {
            case '"':
                shortForm = '"';
                break;
            case '\\':
                shortForm = '\\';
                break;
            case '\b':
                shortForm = 'b';
                break;
            case '\t':
                shortForm = 't';
                break;
            case '\n':
                shortForm = 'n';
                break;
            case '\f':
                shortForm = 'f';
                break;
            case '\r':
                shortForm = 'r';
                break;
            default:
                unicodeEscape(out, c);
                return;
        }
        out.writeByte('\\');
        out.writeByte(shortForm);
    }

    private static void unicodeEscape(final ByteBuf out, final char c)
    {
        out.writeByte('\\');
        out.writeByte('u');
        out.writeByte(HEX[(c >> 12) & 0xF]);
        out.writeByte(HEX[(c >> 8) & 0xF]);
        out.writeByte(HEX[(c >> 4) & 0xF]);
        out.writeByte(HEX[c & 0xF]);
    }

    /**
     * @param out the buffer, which gets {@code null}.
     */
    static void nullValue(final ByteBuf out)
    {
        ascii(out, "null");
    }

    /**
     * @param out   the buffer.
     * @param value written as {@code true} or {@code false}.
     */
    static void bool(final ByteBuf out, final boolean value)
    {
        ascii(out, value ? "true" : "false");
    }

    /**
     * @param out   the buffer.
     * @param value written in decimal.
     */
    static void number(final ByteBuf out, final long value)
    {
        if (value == Long.MIN_VALUE)
        {
            ascii(out, Long.toString(value));
            return;
        }
        long v = value;
        if (v < 0)
        {
            out.writeByte('-');
            v = -v;
        }
        long scale = 1;
        while (scale <= v / 10)
        {
            scale *= 10;
        }
        for (; scale > 0; scale /= 10)
        {
            out.writeByte((int)('0' + v / scale % 10));
        }
    }

    /**
     * @param out   the buffer.
     * @param value written as {@link Double#toString}; quoted when not finite, as Jackson does.
     */
    static void number(final ByteBuf out, final double value)
    {
        if (Double.isFinite(value))
        {
            ascii(out, Double.toString(value));
        }
        else
        {
            string(out, Double.toString(value));
        }
    }

    private static void ascii(final ByteBuf out, final String s)
    {
        for (int i = 0; i < s.length(); i++)
        {
            out.writeByte(s.charAt(i));
        }
    }
}
