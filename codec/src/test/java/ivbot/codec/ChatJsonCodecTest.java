package ivbot.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import ivbot.proto.ChatReply;
import ivbot.proto.ChatRequest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatJsonCodecTest
{
    private static ChatRequest read(final String json) throws MalformedJsonException
    {
        final ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try
        {
            return ChatJsonCodec.readChatRequest(buf).build();
        }
        finally
        {
            buf.release();
        }
    }

    @Test
    void shouldReadKnownFieldsAndIgnoreOthers() throws MalformedJsonException
    {
        final ChatRequest req = read("{\"session_id\":\"s1\",\"query\":\"那病假呢\",\"extra\":{\"a\":[1,2]},\"audience\":null}");
        assertEquals("s1", req.getSessionId());
        assertEquals("那病假呢", req.getQuery());
        assertEquals("", req.getAudience());
    }

    @Test
    void shouldReadTheExplainFieldAsABoolean() throws MalformedJsonException
    {
        assertTrue(read("{\"query\":\"年假\",\"explain\":true}").getExplain());
        assertFalse(read("{\"query\":\"年假\",\"explain\":false}").getExplain());
        assertFalse(read("{\"query\":\"年假\",\"explain\":null}").getExplain());
        assertFalse(read("{\"query\":\"年假\"}").getExplain());
        final MalformedJsonException notBoolean = assertThrows(MalformedJsonException.class,
            () -> read("{\"query\":\"年假\",\"explain\":\"yes\"}"));
        assertEquals("field 'explain' must be true or false", notBoolean.getMessage());
        assertThrows(MalformedJsonException.class, () -> read("{\"query\":\"年假\",\"explain\":1}"));
    }

    @Test
    void shouldRejectWhatIsNotOneObject()
    {
        assertThrows(MalformedJsonException.class, () -> read("[1]"));
        assertThrows(MalformedJsonException.class, () -> read("{\"query\":\"x\"} {}"));
        assertThrows(MalformedJsonException.class, () -> read("{\"query\":"));
        assertThrows(MalformedJsonException.class, () -> read(""));
        assertThrows(MalformedJsonException.class, () -> read("{\"query\":5}"));
    }

    @Test
    void shouldRejectMalformedUtf8()
    {
        final ByteBuf buf = Unpooled.wrappedBuffer(new byte[] {'{', '"', 'q', 'u', 'e', 'r', 'y', '"', ':', '"', (byte)0xC3, 0x28, '"', '}'});
        assertThrows(MalformedJsonException.class, () -> ChatJsonCodec.readChatRequest(buf));
    }

    @Test
    void shouldWriteReplyWithNullAudience()
    {
        final ByteBuf out = Unpooled.buffer();
        ChatJsonCodec.writeChatReply(ChatReply.newBuilder().setSessionId("s").setAnswer("答").setIntent("leave_sick")
            .setConfidence(0.5f).setSource("rules").setLatencyMs(1.23456).build(), out);
        final String json = out.toString(StandardCharsets.UTF_8);
        out.release();
        assertTrue(json.contains("\"audience\":null"), json);
        assertTrue(json.contains("\"answer\":\"答\""), json);
        assertTrue(json.contains("\"latency_ms\":1.235"), json);
    }

    @Test
    void shouldWriteLongAnswersTheSameWhetherEncodedBeforeOrNot() throws Exception
    {
        final String answer = "校招年假:入职当年按在职天数折算,满一年后每年 10 天。\"引号\" \\ 反斜杠\n换行\t制表 😀 \u0001 结束";
        for (int round = 0; round < 3; round++)
        {
            final ByteBuf out = Unpooled.buffer();
            ChatJsonCodec.writeChatReply(ChatReply.newBuilder().setSessionId("s").setAnswer(answer)
                .setIntent("leave_annual").setAudience("campus").setSource("cache").build(), out);
            final String json = out.toString(StandardCharsets.UTF_8);
            out.release();
            final Map<String, String> fields = new HashMap<>();
            try (JsonParser parser = new JsonFactory().createParser(json))
            {
                assertEquals(JsonToken.START_OBJECT, parser.nextToken());
                while (parser.nextToken() == JsonToken.FIELD_NAME)
                {
                    final String name = parser.currentName();
                    parser.nextToken();
                    fields.put(name, parser.getText());
                }
                assertEquals(null, parser.nextToken(), json);
            }
            assertEquals(answer, fields.get("answer"), json);
            assertEquals("leave_annual", fields.get("intent"), json);
            assertEquals("campus", fields.get("audience"), json);
        }
    }

    @Test
    void shouldWriteErrorEnvelope()
    {
        final ByteBuf out = Unpooled.buffer();
        ChatJsonCodec.writeError("unauthorized", "token expired", out);
        assertEquals("{\"error\":{\"code\":\"unauthorized\",\"message\":\"token expired\"}}", out.toString(StandardCharsets.UTF_8));
        out.release();
    }
}
