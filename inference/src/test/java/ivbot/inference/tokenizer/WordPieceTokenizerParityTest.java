package ivbot.inference.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Compares {@link WordPieceTokenizer} with HuggingFace tokenizers (the Rust library, through DJL's JNI binding)
 * on the same {@code tokenizer.json}: a hand-written corpus, seeded random strings and a sweep of single code
 * points. Every id sequence must be equal.
 * <p>
 * DJL runs offline: the parent POM's surefire configuration passes {@code -Dai.djl.offline=true} and
 * {@code OPT_OUT_TRACKING=true}, which {@link #setUp()} checks, and the tokenizers jar carries its native
 * library, which DJL copies into {@code ~/.djl.ai} on first use.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class WordPieceTokenizerParityTest
{
    private static final String CORPUS = "parity-sentences.txt";
    private static final int MAX_LENGTH = WordPieceTokenizer.DEFAULT_MAX_LENGTH;
    private static final int SHORT_MAX_LENGTH = 16;
    private static final int RANDOM_STRINGS = 600;
    private static final int REFERENCE_BATCH = 4096;

    // code points swept one at a time as "x" + code point + "x": all of the BMP and the SMP, the edges of the
    // CJK extension blocks HF isolates, tags and variation selectors, and the private use planes' edges
    private static final int[] SWEEP_RANGES =
    {
        0x0000, 0x1FFFF, 0x20000, 0x2004F, 0x2A6A0, 0x2A75F, 0x2B700, 0x2B95F,
        0x2CE80, 0x2CEFF, 0x2F7F0, 0x2FA2F, 0x30000, 0x3004F, 0xE0000, 0xE01FF,
        0xEFFF0, 0xF000F, 0xFFFF0, 0x10000F, 0x10FFF0, 0x10FFFF
    };

    @TempDir
    static Path tempDir;

    private static Path tokenizerJson;
    private static WordPieceTokenizer tokenizer;
    private static HuggingFaceTokenizer reference;
    private static HuggingFaceTokenizer shortReference;

    @BeforeAll
    static void setUp() throws IOException
    {
        assertEquals("true", System.getProperty("ai.djl.offline"),
            "run with -Dai.djl.offline=true (parent POM surefire argLine) so DJL never downloads");
        assertEquals("true", System.getenv("OPT_OUT_TRACKING"),
            "run with OPT_OUT_TRACKING=true (parent POM surefire environmentVariables)");
        tokenizerJson = tempDir.resolve("tokenizer.json");
        try (InputStream in = WordPieceTokenizer.class.getClassLoader()
            .getResourceAsStream(WordPieceTokenizer.BGE_SMALL_ZH_TOKENIZER_RESOURCE))
        {
            assertNotNull(in, WordPieceTokenizer.BGE_SMALL_ZH_TOKENIZER_RESOURCE + " not on the class path");
            Files.copy(in, tokenizerJson);
        }
        tokenizer = WordPieceTokenizer.fromJson(tokenizerJson);
        reference = reference(tokenizerJson, MAX_LENGTH);
        shortReference = reference(tokenizerJson, SHORT_MAX_LENGTH);
    }

    @AfterAll
    static void tearDown()
    {
        if (reference != null)
        {
            reference.close();
        }
        if (shortReference != null)
        {
            shortReference.close();
        }
    }

    @Test
    void shouldReadKnownIdsFromTheBgeVocabulary()
    {
        assertEquals(21128, tokenizer.vocabularySize());
        assertEquals(101, tokenizer.clsId());
        assertEquals(102, tokenizer.sepId());
        assertEquals(0, tokenizer.padId());
        assertEquals(100, tokenizer.unkId());
        assertEquals(MAX_LENGTH, tokenizer.maxLength());
        assertArrayEquals(new long[]{101, 872, 1962, 102}, tokenizer.encode("你好").ids());
        assertArrayEquals(new long[]{101, 2399, 969, 3300, 1126, 1921, 8043, 102}, tokenizer.encode("年假有几天？").ids());
        assertArrayEquals(new long[]{101, 10038, 102}, tokenizer.encode("offer").ids());
        assertArrayEquals(new long[]{101, 165, 8189, 8199, 102}, tokenizer.encode("wfh").ids());
        assertArrayEquals(new long[]{101, 100, 102}, tokenizer.encode("Offer").ids());
        assertArrayEquals(new long[]{101, 2399, 102, 4567, 102}, tokenizer.encode("年[SEP]病").ids());
        assertArrayEquals(new long[]{101, 102}, tokenizer.encode("").ids());
    }

    @Test
    void shouldMatchReferenceOnCorpus() throws IOException
    {
        final List<String> corpus = readCorpus();
        assertTrue(corpus.size() >= 300, "corpus has " + corpus.size() + " texts (expected: >= 300)");
        assertTrue(corpus.contains(""), "corpus has no empty string");
        assertTrue(corpus.stream().anyMatch(text -> text.length() >= 2000), "corpus has no 2,000-character text");

        assertSameIds("corpus", corpus, tokenizer, reference, MAX_LENGTH);
        assertSameIds("corpus, maxLength=" + SHORT_MAX_LENGTH, corpus, tokenizer, shortReference, SHORT_MAX_LENGTH);
        assertSameBatches(corpus, reference, MAX_LENGTH);
        assertSameBatches(corpus, shortReference, SHORT_MAX_LENGTH);
    }

    @Test
    void shouldMatchReferenceOnSeededRandomStrings()
    {
        final List<String> texts = randomStrings(new SplittableRandom(20261125L), RANDOM_STRINGS);
        assertSameIds("random", texts, tokenizer, reference, MAX_LENGTH);
        assertSameIds("random, maxLength=" + SHORT_MAX_LENGTH, texts, tokenizer, shortReference, SHORT_MAX_LENGTH);
    }

    @Test
    void shouldMatchReferenceForEachSweptCodePoint()
    {
        final List<String> batch = new ArrayList<>(REFERENCE_BATCH);
        int swept = 0;
        for (int i = 0; i < SWEEP_RANGES.length; i += 2)
        {
            for (int codePoint = SWEEP_RANGES[i]; codePoint <= SWEEP_RANGES[i + 1]; codePoint++)
            {
                if (Character.getType(codePoint) == Character.SURROGATE)
                {
                    continue; // not a Unicode scalar value: Rust strings cannot hold one
                }
                batch.add("x" + new String(Character.toChars(codePoint)) + "x");
                if (batch.size() == REFERENCE_BATCH)
                {
                    swept += assertSameIds("code point sweep", batch, tokenizer, reference, MAX_LENGTH);
                    batch.clear();
                }
            }
        }
        swept += assertSameIds("code point sweep", batch, tokenizer, reference, MAX_LENGTH);
        System.out.println("WordPieceTokenizerParityTest: " + swept + " swept code points match");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "lowercase                  | true  | true  | null  | true",
        "lowercase, keep accents    | true  | true  | false | true",
        "strip accents only         | true  | true  | true  | false",
        "no clean text, no CJK      | false | false | null  | false",
        })
    void shouldMatchReferenceWithOtherNormalizerFlags(
        final String name,
        final boolean cleanText,
        final boolean handleChineseChars,
        final String stripAccents,
        final boolean lowercase) throws IOException
    {
        final ObjectMapper mapper = new ObjectMapper();
        final ObjectNode root = (ObjectNode)mapper.readTree(tokenizerJson.toFile());
        final ObjectNode normalizer = (ObjectNode)root.get("normalizer");
        normalizer.put("clean_text", cleanText);
        normalizer.put("handle_chinese_chars", handleChineseChars);
        if ("null".equals(stripAccents))
        {
            normalizer.putNull("strip_accents");
        }
        else
        {
            normalizer.put("strip_accents", Boolean.parseBoolean(stripAccents));
        }
        normalizer.put("lowercase", lowercase);
        final Path variant = tempDir.resolve(name.replaceAll("[^a-z]+", "-") + ".json");
        mapper.writeValue(variant.toFile(), root);

        final WordPieceTokenizer variantTokenizer = WordPieceTokenizer.fromJson(variant);
        final List<String> texts = readCorpus();
        texts.addAll(randomStrings(new SplittableRandom(name.hashCode()), RANDOM_STRINGS / 2));
        try (HuggingFaceTokenizer variantReference = reference(variant, MAX_LENGTH))
        {
            assertSameIds(name, texts, variantTokenizer, variantReference, MAX_LENGTH);
        }
    }

    private static HuggingFaceTokenizer reference(final Path json, final int maxLength) throws IOException
    {
        final Map<String, String> options = new HashMap<>();
        options.put("addSpecialTokens", "true");
        options.put("truncation", "true");
        options.put("maxLength", Integer.toString(maxLength));
        options.put("padding", "false");
        return HuggingFaceTokenizer.newInstance(json, options);
    }

    private static int assertSameIds(
        final String label,
        final List<String> texts,
        final WordPieceTokenizer actual,
        final HuggingFaceTokenizer expected,
        final int maxLength)
    {
        if (texts.isEmpty())
        {
            return 0;
        }
        final ai.djl.huggingface.tokenizers.Encoding[] expectedEncodings = expected.batchEncode(texts);
        int mismatches = 0;
        String first = null;
        for (int i = 0; i < texts.size(); i++)
        {
            final long[] expectedIds = expectedEncodings[i].getIds();
            final long[] actualIds = actual.encode(texts.get(i), maxLength).ids();
            if (!Arrays.equals(expectedIds, actualIds))
            {
                mismatches++;
                if (first == null)
                {
                    first = describe(label, i, texts.get(i), expectedIds, actualIds);
                }
            }
        }
        if (first != null)
        {
            fail(mismatches + " of " + texts.size() + " texts differ; first: " + first);
        }
        return texts.size();
    }

    private static void assertSameBatches(
        final List<String> texts, final HuggingFaceTokenizer expected, final int maxLength)
    {
        final int batchSize = 32;
        final long[] ids = new long[batchSize * maxLength];
        final long[] mask = new long[batchSize * maxLength];
        final long[] types = new long[batchSize * maxLength];
        for (int from = 0; from < texts.size(); from += batchSize)
        {
            final List<String> batch = texts.subList(from, Math.min(texts.size(), from + batchSize));
            final int sequenceLength = tokenizer.encodeBatch(batch, maxLength, ids, mask, types);
            final ai.djl.huggingface.tokenizers.Encoding[] expectedEncodings = expected.batchEncode(batch);
            for (int row = 0; row < batch.size(); row++)
            {
                final long[] expectedIds = expectedEncodings[row].getIds();
                final int start = row * sequenceLength;
                final long[] actualIds = Arrays.copyOfRange(ids, start, start + expectedIds.length);
                if (!Arrays.equals(expectedIds, actualIds))
                {
                    fail("encodeBatch: " + describe("corpus", from + row, batch.get(row), expectedIds, actualIds));
                }
                for (int column = 0; column < sequenceLength; column++)
                {
                    final boolean token = column < expectedIds.length;
                    assertEquals(token ? 1L : 0L, mask[start + column], "attention mask");
                    assertEquals(0L, types[start + column], "token type id");
                    if (!token)
                    {
                        assertEquals(tokenizer.padId(), ids[start + column], "padding id");
                    }
                }
            }
        }
    }

    private static String describe(
        final String label, final int index, final String text, final long[] expected, final long[] actual)
    {
        return label + " #" + index + " \"" + escape(text) + "\"\n  reference: " + Arrays.toString(expected) +
            "\n  ours:      " + Arrays.toString(actual);
    }

    private static List<String> readCorpus() throws IOException
    {
        try (InputStream in = WordPieceTokenizerParityTest.class.getResourceAsStream(CORPUS))
        {
            assertNotNull(in, CORPUS);
            final String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1);
            final List<String> texts = new ArrayList<>();
            // the file ends with a newline: its last split element is not a line
            for (int i = 0; i < lines.length - 1; i++)
            {
                if (!lines[i].startsWith("# "))
                {
                    texts.add(unescape(lines[i]));
                }
            }
            return texts;
        }
    }

    // \t \n \r \\ \\uXXXX and \U{X...}; anything else stays as written
    private static String unescape(final String line)
    {
        final StringBuilder text = new StringBuilder(line.length());
        for (int i = 0; i < line.length(); i++)
        {
            final char c = line.charAt(i);
            if (c != '\\' || i + 1 == line.length())
            {
                text.append(c);
                continue;
            }
            final char escape = line.charAt(++i);
            switch (escape)
            {
                case 't' -> text.append('\t');
                case 'n' -> text.append('\n');
                case 'r' -> text.append('\r');
                case '\\' -> text.append('\\');
                case 'u' ->
                {
                    text.append((char)Integer.parseInt(line.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                case 'U' ->
                {
                    final int close = line.indexOf('}', i);
                    text.appendCodePoint(Integer.parseInt(line.substring(i + 2, close), 16));
                    i = close;
                }
                default -> text.append('\\').append(escape);
            }
        }
        return text.toString();
    }

    private static String escape(final String text)
    {
        final StringBuilder escaped = new StringBuilder();
        final String shown = text.length() > 200 ? text.substring(0, 200) : text;
        shown.codePoints().forEach(codePoint ->
        {
            if (codePoint < 0x20 || (codePoint >= 0x7F && codePoint < 0xA0) || Character.isWhitespace(codePoint) &&
                codePoint != ' ' || Character.getType(codePoint) == Character.FORMAT)
            {
                escaped.append(String.format("\\u%04X", codePoint));
            }
            else
            {
                escaped.appendCodePoint(codePoint);
            }
        });
        return escaped + (text.length() > 200 ? "... (" + text.length() + " chars)" : "");
    }

    private static List<String> randomStrings(final SplittableRandom random, final int count)
    {
        final List<String> texts = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final StringBuilder text = new StringBuilder();
            final int pieces = random.nextInt(i % 10 == 0 ? 200 : 24);
            for (int piece = 0; piece < pieces; piece++)
            {
                appendRandomPiece(random, text);
            }
            texts.add(text.toString());
        }
        return texts;
    }

    private static void appendRandomPiece(final SplittableRandom random, final StringBuilder text)
    {
        switch (random.nextInt(20))
        {
            case 0, 1, 2 -> text.appendCodePoint(0x4E00 + random.nextInt(0x5200));
            case 3 -> text.append(tokenizer.token(random.nextInt(tokenizer.vocabularySize())));
            case 4 -> text.append(oneOf(random, "offer", "HR", "Offer", "wfh", "WFH", "hr", "base", "KPI", "café"));
            case 5 -> text.appendCodePoint(oneOf(random, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"));
            case 6 -> text.appendCodePoint(oneOf(random, "0123456789.,.%-+"));
            case 7 -> text.appendCodePoint(oneOf(random, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"));
            case 8 -> text.appendCodePoint(oneOf(random, "，。？！：；“”‘’、《》（）【】…—～·「」"));
            case 9 -> text.appendCodePoint(oneOf(random, "ＡＢＨＲＷＦｏｆｅｒｈ０１９！？＃＠"));
            case 10 -> text.appendCodePoint(oneOf(random, " \t\n\r\u000B\u000C\u0085\u00A0\u1680\u2009\u2028\u3000"));
            case 11 -> text.appendCodePoint(oneOf(random,
                "\u0000\u0001\u001F\u007F\u0090\u00AD\u200B\u200C\u200D\u200E\u2060\uFEFF\uFFFD\uFFFE"));
            case 12 -> appendEmoji(random, text);
            case 13 -> text.appendCodePoint(pick(random, 0xC0, 0x40, 0x300, 0x70)); // Latin-1 letters, combining
            case 14 -> text.appendCodePoint(pick(random, 0x3040, 0xC0, 0xAC00, 0x2BA4)); // kana, hangul
            case 15 -> text.append(oneOf(random, "[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]", "[SE", "P]", "##"));
            case 16 -> text.appendCodePoint(randomScalarValue(random));
            case 17 -> text.appendCodePoint(pick(random, 0x20000, 0xD000, 0xF900, 0x200)); // CJK ext. B, compat
            case 18 -> text.append(String.valueOf((char)('a' + random.nextInt(3))).repeat(95 + random.nextInt(10)));
            default -> text.append(' ');
        }
    }

    private static void appendEmoji(final SplittableRandom random, final StringBuilder text)
    {
        text.appendCodePoint(0x1F600 + random.nextInt(0x50));
        switch (random.nextInt(4))
        {
            case 0 -> text.appendCodePoint(0x1F3FB + random.nextInt(5));
            case 1 -> text.append('\u200D').appendCodePoint(0x1F4BB);
            case 2 -> text.append('\uFE0F');
            default -> text.appendCodePoint(0x1F1E6 + random.nextInt(26)).appendCodePoint(0x1F1E6 + random.nextInt(26));
        }
    }

    // a code point from [firstStart, firstStart + firstSize) or [secondStart, secondStart + secondSize)
    private static int pick(
        final SplittableRandom random, final int firstStart, final int firstSize, final int secondStart,
        final int secondSize)
    {
        return random.nextBoolean() ? firstStart + random.nextInt(firstSize) : secondStart + random.nextInt(secondSize);
    }

    private static int randomScalarValue(final SplittableRandom random)
    {
        while (true)
        {
            final int codePoint = random.nextInt(Character.MAX_CODE_POINT + 1);
            if (Character.getType(codePoint) != Character.SURROGATE)
            {
                return codePoint;
            }
        }
    }

    private static int oneOf(final SplittableRandom random, final String codePoints)
    {
        final int[] choices = codePoints.codePoints().toArray();
        return choices[random.nextInt(choices.length)];
    }

    private static String oneOf(final SplittableRandom random, final String... choices)
    {
        return choices[random.nextInt(choices.length)];
    }
}
