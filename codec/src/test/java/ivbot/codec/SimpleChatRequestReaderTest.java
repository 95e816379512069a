package ivbot.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import ivbot.proto.ChatRequest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The fast path against Jackson: whatever it accepts, Jackson reads to the same request; what it declines
 * goes to Jackson unchanged.
 */
class SimpleChatRequestReaderTest
{
    private static final List<String> ACCEPTED = List.of(
        "{\"query\":\"年假有几天\"}",
        "{\"session_id\":\"abcdefgh1234\",\"query\":\"那病假呢\"}",
        " \r\n\t{ \"query\" : \"x\" , \"audience\" : null , \"explain\" : true } \n",
        "{\"query\":\"a\",\"explain\":false,\"audience\":\"intern\",\"session_id\":null}",
        "{\"query\":\"first\",\"query\":\"second\"}",
        "{}",
        "{\"query\":\"\"}",
        "{\"query\":\"😀 é ÿ ǅ ࠀ \uFFFD \uD800\uDC00 \uDBFF\uDFFF /\"}");

    private static final List<String> DECLINED = List.of(
        "", " ", "[1]", "{", "}", "{\"query\":\"x\"} {}", "{\"query\":", "{\"query\":5}", "{\"query\":\"x\",}",
        "{\"query\":\"a\\nb\"}", "{\"query\":\"\\u5e74\"}", "{\"extra\":1,\"query\":\"x\"}", "{\"extra\":\"x\"}",
        "{\"query\":true}", "{\"explain\":\"yes\"}", "{\"explain\":1}", "{\"query\":nul}", "{\"query\":nullx}",
        "{\"explain\":truefalse}", "\uFEFF{\"query\":\"x\"}", "{'query':'x'}", "{\"query\":\"x\"}x",
        "{\"query\":\"x\" \"audience\":null}", "{\"q\\u0075ery\":\"x\"}", "{\"query\"\"x\"}", "{\"query\":[]}",
        "{\"query\":{}}", "/*c*/{\"query\":\"x\"}", "{\"query\":\"x\"}\u0000", "{\"query\":\"tab\there\"}");

    private static final byte[] INSERTED = "{}[]\",: \\ntrue0\u0000\u001f".getBytes(StandardCharsets.UTF_8);

    @Test
    void shouldReadTheUsualBodiesItself() throws MalformedJsonException
    {
        for (final String json : ACCEPTED)
        {
            final byte[] body = json.getBytes(StandardCharsets.UTF_8);
            assertTrue(SimpleChatRequestReader.read(body, body.length, ChatRequest.newBuilder()), json);
            assertSameAsJackson(body);
        }
        final ChatRequest request = readFast("{\"session_id\":\"s1\",\"query\":\"那病假呢\",\"audience\":null,\"explain\":true}");
        assertEquals("s1", request.getSessionId());
        assertEquals("那病假呢", request.getQuery());
        assertEquals("", request.getAudience());
        assertTrue(request.getExplain());
        assertEquals("second", readFast("{\"query\":\"first\",\"query\":\"second\"}").getQuery());
    }

    @Test
    void shouldLeaveEverythingElseToJackson()
    {
        for (final String json : DECLINED)
        {
            final byte[] body = json.getBytes(StandardCharsets.UTF_8);
            assertFalse(SimpleChatRequestReader.read(body, body.length, ChatRequest.newBuilder()), json);
        }
    }

    @Test
    void shouldDeclineMalformedUtf8()
    {
        final int[][] sequences = {
            {0xC3, 0x28}, {0xC0, 0xAF}, {0xC1, 0xBF}, {0xE0, 0x80, 0xAF}, {0xED, 0xA0, 0x80}, {0xED, 0xBF, 0xBF},
            {0xF0, 0x80, 0x80, 0xAF}, {0xF4, 0x90, 0x80, 0x80}, {0xF5, 0x80, 0x80, 0x80}, {0xFF}, {0x80}, {0xE5, 0xB9},
            {0xF0, 0x9F, 0x98}};
        for (final int[] sequence : sequences)
        {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes("{\"query\":\"".getBytes(StandardCharsets.US_ASCII));
            for (final int b : sequence)
            {
                out.write(b);
            }
            out.writeBytes("\"}".getBytes(StandardCharsets.US_ASCII));
            final byte[] body = out.toByteArray();
            assertFalse(SimpleChatRequestReader.read(body, body.length, ChatRequest.newBuilder()), java.util.Arrays.toString(sequence));
        }
    }

    /**
     * Random bodies made of the pieces of real ones (and random bytes): each one the fast path accepts reads the
     * same with Jackson, and Jackson does not refuse it.
     */
    @Test
    void shouldAgreeWithJacksonOnRandomBodies()
    {
        final String[] pieces = {"{", "}", "\"query\"", "\"session_id\"", "\"audience\"", "\"explain\"", "\"extra\"",
            ":", ",", " ", "\n", "\"年假\"", "\"x\"", "\"\"", "null", "true", "false", "1", "[", "]", "\\", "\"",
            "\"a\\\"b\"", "nul", "\t", "😀"};
        final String[] names = {"\"query\"", "\"session_id\"", "\"audience\"", "\"explain\"", "\"extra\"", "\"quer\""};
        final String[] values = {"\"年假\"", "\"x\"", "\"\"", "null", "true", "false", "1", "[]", "\"a\\\"b\"", "\"😀\""};
        final String[] spaces = {"", "", "", " ", "\n", "\t", "\r\n "};
        final Random random = new Random(42);
        int accepted = 0;
        for (int n = 0; n < 200_000; n++)
        {
            // a well-formed object of random members, then maybe a few random edits of its bytes
            final StringBuilder json = new StringBuilder(spaces[random.nextInt(spaces.length)]).append('{');
            final int members = random.nextInt(5);
            for (int k = 0; k < members; k++)
            {
                json.append(k == 0 ? "" : ",").append(spaces[random.nextInt(spaces.length)])
                    .append(names[random.nextInt(names.length)]).append(spaces[random.nextInt(spaces.length)]).append(':')
                    .append(spaces[random.nextInt(spaces.length)]).append(values[random.nextInt(values.length)])
                    .append(spaces[random.nextInt(spaces.length)]);
            }
            json.append('}').append(spaces[random.nextInt(spaces.length)]);
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(json.toString().getBytes(StandardCharsets.UTF_8));
            byte[] body = out.toByteArray();
            final int edits = random.nextInt(3) == 0 ? 1 + random.nextInt(3) : 0;
            for (int e = 0; e < edits && body.length > 0; e++)
            {
                final int at = random.nextInt(body.length);
                final byte[] edited;
                switch (random.nextInt(3))
                {
                    case 0:
                        edited = java.util.Arrays.copyOf(body, body.length);
                        edited[at] = (byte)random.nextInt(256);
                        break;
                    case 1:
                        edited = new byte[body.length - 1];
                        System.arraycopy(body, 0, edited, 0, at);
                        System.arraycopy(body, at + 1, edited, at, body.length - at - 1);
                        break;
                    default:
                        edited = new byte[body.length + 1];
                        System.arraycopy(body, 0, edited, 0, at);
                        edited[at] = INSERTED[random.nextInt(INSERTED.length)];
                        System.arraycopy(body, at, edited, at + 1, body.length - at);
                        break;
                }
                body = edited;
            }
            if (SimpleChatRequestReader.read(body, body.length, ChatRequest.newBuilder()))
            {
                accepted++;
                assertSameAsJackson(body);
            }
        }
        assertTrue(accepted > 1000, "accepted " + accepted);
        // and the usual shape, generated: always accepted
        for (int n = 0; n < 2000; n++)
        {
            final ByteBuf body = Unpooled.buffer();
            ChatJsonCodec.writeObject(body, "session_id", n % 2 == 0 ? "" : "s" + n, "query", randomText(random));
            final byte[] bytes = new byte[body.readableBytes()];
            body.readBytes(bytes);
            body.release();
            if (new String(bytes, StandardCharsets.UTF_8).indexOf('\\') < 0)
            {
                assertTrue(SimpleChatRequestReader.read(bytes, bytes.length, ChatRequest.newBuilder()));
            }
            assertSameAsJackson(bytes);
        }
    }

    private static String randomText(final Random random)
    {
        final StringBuilder text = new StringBuilder();
        final int length = random.nextInt(30);
        for (int k = 0; k < length; k++)
        {
            final int kind = random.nextInt(4);
            text.appendCodePoint(kind == 0 ? 0x20 + random.nextInt(0x5F) : kind == 1 ? 0x4E00 + random.nextInt(0x5000) :
                kind == 2 ? 0x80 + random.nextInt(0x700) : 0x1F600 + random.nextInt(0x40));
        }
        return text.toString();
    }

    private static ChatRequest readFast(final String json)
    {
        final byte[] body = json.getBytes(StandardCharsets.UTF_8);
        final ChatRequest.Builder builder = ChatRequest.newBuilder();
        assertTrue(SimpleChatRequestReader.read(body, body.length, builder), json);
        return builder.build();
    }

    private static void assertSameAsJackson(final byte[] body)
    {
        final ChatRequest.Builder fast = ChatRequest.newBuilder();
        final boolean accepted = SimpleChatRequestReader.read(body, body.length, fast);
        final ByteBuf buf = Unpooled.wrappedBuffer(body);
        try
        {
            final ChatRequest jackson = ChatJsonCodec.readWithJackson(buf, ChatRequest.newBuilder()).build();
            if (accepted)
            {
                assertEquals(jackson, fast.build(), new String(body, StandardCharsets.UTF_8));
            }
            assertEquals(jackson, ChatJsonCodec.readChatRequest(buf).build());
        }
        catch (final MalformedJsonException ex)
        {
            fail("Jackson refused what the fast path accepted: " + new String(body, StandardCharsets.UTF_8) + ": " + ex.getMessage());
        }
        finally
        {
            buf.release();
        }
    }
}
