package ivbot.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import ivbot.proto.ChatReply;
import ivbot.proto.Explanation;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The generator-free JSON writers against the Jackson generator they replace ({@link JacksonReferenceWriters}):
 * the same bytes, for random strings over all of UTF-16 (controls, quotes, surrogates paired and lone), random
 * doubles and longs, and whole replies, explanations, errors and flat objects.
 */
class JsonByteBufWriterTest
{
    private static final double[] SPECIAL = {0.0, -0.0, 1.0, 0.1, 1e-4, 1e-3, 1e7, 1e-7, 123456789.0, 9.999e-5,
        Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE, 0.9876, 41.234};

    @Test
    void shouldWriteRepliesAsJacksonDid()
    {
        final Random random = new Random(7);
        for (int n = 0; n < 20_000; n++)
        {
            final ChatReply.Builder reply = ChatReply.newBuilder()
                .setSessionId(randomString(random, 12))
                .setAnswer(randomString(random, n % 3 == 0 ? 80 : 20))
                .setIntent(randomString(random, 10))
                .setAudience(random.nextBoolean() ? "" : randomString(random, 8))
                .setConfidence(random.nextFloat())
                .setSource(randomString(random, 6))
                .setModelVersion(random.nextBoolean() ? "" : randomString(random, 10))
                .setLatencyMs(random.nextDouble() * 100)
                .setTurn(random.nextInt(Integer.MAX_VALUE) - (n % 5 == 0 ? Integer.MAX_VALUE / 2 : 0));
            if (random.nextInt(4) == 0)
            {
                reply.setFallbackReason(randomString(random, 8));
            }
            if (random.nextInt(4) == 0)
            {
                reply.setContextLost(true);
            }
            if (random.nextInt(8) == 0)
            {
                reply.setExplanation(randomExplanation(random));
            }
            final ChatReply built = reply.build();
            assertSameBytes(out -> JacksonReferenceWriters.writeChatReply(built, out), out -> ChatJsonCodec.writeChatReply(built, out));
            // a second time: the long answer now comes from the encoded strings
            assertSameBytes(out -> JacksonReferenceWriters.writeChatReply(built, out), out -> ChatJsonCodec.writeChatReply(built, out));
        }
    }

    @Test
    void shouldWriteExplanationsErrorsAndObjectsAsJacksonDid()
    {
        final Random random = new Random(11);
        for (int n = 0; n < 5_000; n++)
        {
            final Explanation explanation = randomExplanation(random);
            assertSameBytes(out -> JacksonReferenceWriters.writeExplanation(explanation, out),
                out -> ChatJsonCodec.writeExplanation(explanation, out));
            final String code = randomString(random, 10);
            final String message = randomString(random, 40);
            assertSameBytes(out -> JacksonReferenceWriters.writeError(code, message, out), out -> ChatJsonCodec.writeError(code, message, out));
            final Object[] fields = {randomString(random, 5), randomString(random, 9), "n", random.nextLong(),
                "i", random.nextInt(), "d", randomDouble(random), "f", random.nextFloat(), "b", random.nextBoolean(),
                "null", null, "other", new StringBuilder(randomString(random, 4))};
            assertSameBytes(out -> JacksonReferenceWriters.writeObject(out, fields), out -> ChatJsonCodec.writeObject(out, fields));
        }
        assertSameBytes(out -> JacksonReferenceWriters.writeObject(out), out -> ChatJsonCodec.writeObject(out));
        assertSameBytes(out -> JacksonReferenceWriters.writeObject(out, "min", Long.MIN_VALUE, "max", Long.MAX_VALUE, "zero", 0),
            out -> ChatJsonCodec.writeObject(out, "min", Long.MIN_VALUE, "max", Long.MAX_VALUE, "zero", 0));
        for (final double d : SPECIAL)
        {
            assertSameBytes(out -> JacksonReferenceWriters.writeObject(out, "d", d, "m", -d), out -> ChatJsonCodec.writeObject(out, "d", d, "m", -d));
        }
    }

    @Test
    void shouldEscapeEveryCharacterAsJacksonDid()
    {
        for (char c = 0; c < Character.MAX_VALUE; c++)
        {
            final String s = "a" + c + "b";
            assertSameBytes(out -> JacksonReferenceWriters.writeError(s, s, out), out -> ChatJsonCodec.writeError(s, s, out));
        }
        final String pair = "😀\uD83D\uDE00x\uDBFF\uDFFF";
        assertSameBytes(out -> JacksonReferenceWriters.writeError(pair, pair, out), out -> ChatJsonCodec.writeError(pair, pair, out));
    }

    private static Explanation randomExplanation(final Random random)
    {
        final Explanation.Builder explanation = Explanation.newBuilder()
            .setIntent(random.nextBoolean() ? "" : randomString(random, 10))
            .setModelVersion(random.nextBoolean() ? "" : randomString(random, 10))
            .setLatencyMs(random.nextDouble() * 50);
        if (random.nextInt(3) == 0)
        {
            explanation.setSkipped(randomString(random, 8));
        }
        for (int k = random.nextInt(4); k > 0; k--)
        {
            explanation.addTop(Explanation.Top.newBuilder().setIntent(randomString(random, 8)).setProbability(random.nextFloat()));
            explanation.addNearest(Explanation.Nearest.newBuilder().setText(randomString(random, 12))
                .setIntent(randomString(random, 8)).setSimilarity(random.nextFloat() * 2 - 1));
            explanation.addSaliency(Explanation.Token.newBuilder().setToken(randomString(random, 2)).setWeight(random.nextFloat()));
        }
        return explanation.build();
    }

    private static double randomDouble(final Random random)
    {
        switch (random.nextInt(4))
        {
            case 0:
                return SPECIAL[random.nextInt(SPECIAL.length)];
            case 1:
                return Double.longBitsToDouble(random.nextLong());
            case 2:
                return Math.round(random.nextDouble() * 10_000.0) / 10_000.0;
            default:
                return random.nextGaussian() * 1e6;
        }
    }

    private static String randomString(final Random random, final int maxLength)
    {
        final StringBuilder s = new StringBuilder();
        final int length = random.nextInt(maxLength + 1);
        for (int k = 0; k < length; k++)
        {
            switch (random.nextInt(6))
            {
                case 0:
                    s.append((char)random.nextInt(0x80));
                    break;
                case 1:
                    s.append((char)(0x4E00 + random.nextInt(0x5000)));
                    break;
                case 2:
                    s.append((char)random.nextInt(0x10000));
                    break;
                case 3:
                    s.appendCodePoint(0x10000 + random.nextInt(0x100000));
                    break;
                default:
                    s.append((char)(0x20 + random.nextInt(0x5F)));
                    break;
            }
        }
        return s.toString();
    }

    private static void assertSameBytes(final Consumer<ByteBuf> jackson, final Consumer<ByteBuf> ours)
    {
        final ByteBuf expected = Unpooled.buffer();
        final ByteBuf actual = Unpooled.buffer();
        try
        {
            jackson.accept(expected);
            ours.accept(actual);
            assertEquals(ByteBufUtil.hexDump(expected), ByteBufUtil.hexDump(actual),
                () -> expected.toString(java.nio.charset.StandardCharsets.UTF_8) + "\n" + actual.toString(java.nio.charset.StandardCharsets.UTF_8));
        }
        finally
        {
            expected.release();
            actual.release();
        }
    }
}
