package ivbot.inference.tokenizer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class WordPieceTokenizerTest
{
    private static final int CLS = 101;
    private static final int SEP = 102;
    private static final int UNK = 100;

    private static byte[] bgeJson;
    private static WordPieceTokenizer tokenizer;

    @BeforeAll
    static void setUp() throws IOException
    {
        try (InputStream in = WordPieceTokenizer.class.getClassLoader()
            .getResourceAsStream(WordPieceTokenizer.BGE_SMALL_ZH_TOKENIZER_RESOURCE))
        {
            bgeJson = in.readAllBytes();
        }
        tokenizer = WordPieceTokenizer.fromJson(new ByteArrayInputStream(bgeJson));
    }

    @Test
    void shouldTruncateOnTheRightKeepingSep()
    {
        final String text = "年假有几天？".repeat(400);
        final Encoding full = tokenizer.encode(text);
        assertEquals(512, full.length());
        assertEquals(CLS, full.id(0));
        assertEquals(SEP, full.id(511));

        final long[] ten = tokenizer.encode(text, 10).ids();
        assertArrayEquals(new long[]{CLS, 2399, 969, 3300, 1126, 1921, 8043, 2399, 969, SEP}, ten);
        assertArrayEquals(new long[]{CLS, SEP}, tokenizer.encode(text, 2).ids());
    }

    @Test
    void shouldTurnAWordLongerThanMaxInputCharsPerWordIntoOneUnknown()
    {
        assertTrue(tokenizer.encode("a".repeat(100)).length() > 3, "100 characters are split into pieces");
        assertArrayEquals(new long[]{CLS, UNK, SEP}, tokenizer.encode("a".repeat(101)).ids());
        // an emoji is one character, not two UTF-16 units; the vocabulary has both 👍 and ##👍
        assertEquals(102, tokenizer.encode("👍".repeat(100)).length());
        assertArrayEquals(new long[]{CLS, UNK, SEP}, tokenizer.encode("👍".repeat(101)).ids());
    }

    @Test
    void shouldDropControlsAndLoneSurrogatesLikeCleanText()
    {
        final long[] expected = tokenizer.encode("年假").ids();
        assertArrayEquals(expected, tokenizer.encode("年\u0000\u200B\uFFFD\uD800假").ids());
        assertArrayEquals(tokenizer.encode("offer").ids(), tokenizer.encode("off\u200Ber").ids());
    }

    @Test
    void shouldPadBatchToItsLongestRow()
    {
        final List<String> texts = List.of("你好", "年假有几天？", "", "offer");
        final int maxLength = 16;
        final long[] ids = new long[texts.size() * maxLength];
        final long[] mask = new long[texts.size() * maxLength];
        final long[] types = new long[texts.size() * maxLength];
        Arrays.fill(types, 7L);

        final int sequenceLength = tokenizer.encodeBatch(texts, maxLength, ids, mask, types);

        assertEquals(8, sequenceLength);
        assertArrayEquals(new long[]{
            CLS, 872, 1962, SEP, 0, 0, 0, 0,
            CLS, 2399, 969, 3300, 1126, 1921, 8043, SEP,
            CLS, SEP, 0, 0, 0, 0, 0, 0,
            CLS, 10038, SEP, 0, 0, 0, 0, 0}, Arrays.copyOf(ids, 4 * sequenceLength));
        assertArrayEquals(new long[]{
            1, 1, 1, 1, 0, 0, 0, 0,
            1, 1, 1, 1, 1, 1, 1, 1,
            1, 1, 0, 0, 0, 0, 0, 0,
            1, 1, 1, 0, 0, 0, 0, 0}, Arrays.copyOf(mask, 4 * sequenceLength));
        assertArrayEquals(new long[4 * sequenceLength], Arrays.copyOf(types, 4 * sequenceLength));
        for (int row = 0; row < texts.size(); row++)
        {
            final Encoding single = tokenizer.encode(texts.get(row), maxLength);
            assertArrayEquals(single.ids(),
                Arrays.copyOfRange(ids, row * sequenceLength, row * sequenceLength + single.length()));
        }
    }

    @Test
    void shouldEncodeSentencePairsWithSegmentsAndLeaveRowsWithoutContextAsSingles()
    {
        // 年假 (2399 969) is segment A, 你好 (872 1962) segment B; the second row has no context
        final List<String> contexts = Arrays.asList("年假", null);
        final List<String> texts = List.of("你好", "你好");
        final int maxLength = 16;
        final long[] ids = new long[2 * maxLength];
        final long[] mask = new long[2 * maxLength];
        final long[] types = new long[2 * maxLength];
        Arrays.fill(types, 7L);

        final int sequenceLength = tokenizer.encodeBatch(contexts, texts, maxLength, ids, mask, types);

        assertEquals(7, sequenceLength);
        assertArrayEquals(new long[]{
            CLS, 2399, 969, SEP, 872, 1962, SEP,
            CLS, 872, 1962, SEP, 0, 0, 0}, Arrays.copyOf(ids, 2 * sequenceLength));
        assertArrayEquals(new long[]{
            0, 0, 0, 0, 1, 1, 1,
            0, 0, 0, 0, 0, 0, 0}, Arrays.copyOf(types, 2 * sequenceLength));
        assertArrayEquals(new long[]{
            1, 1, 1, 1, 1, 1, 1,
            1, 1, 1, 1, 0, 0, 0}, Arrays.copyOf(mask, 2 * sequenceLength));
    }

    @Test
    void shouldGiveTheContextAtMostHalfOfAPairAndTheTextTheRest()
    {
        final String longText = "年假有几天？".repeat(100);
        final int maxLength = 10;
        final long[] ids = new long[maxLength];
        final long[] mask = new long[maxLength];
        final long[] types = new long[maxLength];

        final int sequenceLength = tokenizer.encodeBatch(List.of(longText), List.of(longText), maxLength, ids, mask, types);

        assertEquals(maxLength, sequenceLength);
        // CLS + 3 context tokens + SEP is half of 10; the text gets the 4 ids left before its SEP
        assertArrayEquals(new long[]{CLS, 2399, 969, 3300, SEP, 2399, 969, 3300, 1126, SEP}, ids);
        assertArrayEquals(new long[]{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, types);
        assertThrows(IllegalArgumentException.class,
            () -> tokenizer.encodeBatch(List.of("a"), List.of("b"), 3, new long[3], new long[3], new long[3]));
    }

    @Test
    void shouldReturnZeroForAnEmptyBatch()
    {
        assertEquals(0, tokenizer.encodeBatch(List.of(), 8, new long[0], new long[0], new long[0]));
    }

    @Test
    void shouldRejectBadArguments()
    {
        final IllegalArgumentException tooShort =
            assertThrows(IllegalArgumentException.class, () -> tokenizer.encode("x", 1));
        assertEquals("maxLength=1 (expected: >= 2)", tooShort.getMessage());

        final IllegalArgumentException smallBuffer = assertThrows(IllegalArgumentException.class,
            () -> tokenizer.encodeBatch(List.of("a", "b"), 8, new long[15], new long[16], new long[16]));
        assertEquals("inputIds.length=15 (expected: >= texts.size() * maxLength = 2 * 8 = 16)",
            smallBuffer.getMessage());
        assertThrows(NullPointerException.class,
            () -> tokenizer.encodeBatch(Arrays.asList("a", null), 8, new long[16], new long[16], new long[16]));
    }

    @Test
    void shouldRejectAPipelineItDoesNotImplement()
    {
        final String json = new String(bgeJson, StandardCharsets.UTF_8);
        final IllegalArgumentException model = assertThrows(IllegalArgumentException.class,
            () -> fromJson(json.replace("\"type\": \"WordPiece\"", "\"type\": \"BPE\"")));
        assertEquals("model.type=BPE (expected: WordPiece)", model.getMessage());

        final IllegalArgumentException preTokenizer = assertThrows(IllegalArgumentException.class,
            () -> fromJson(json.replace("\"BertPreTokenizer\"", "\"Whitespace\"")));
        assertEquals("pre_tokenizer.type=Whitespace (expected: BertPreTokenizer)", preTokenizer.getMessage());

        assertThrows(IOException.class, () -> fromJson("[]"));
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldGiveTheSameIdsFromManyThreads() throws Exception
    {
        final List<String> texts = new ArrayList<>();
        for (int i = 0; i < 200; i++)
        {
            texts.add("第" + i + "个问题：HR说offer下周发，可以WFH吗？😀 café " + "年假".repeat(i % 7));
        }
        final List<long[]> expected = new ArrayList<>();
        texts.forEach(text -> expected.add(tokenizer.encode(text).ids()));

        final ExecutorService executor = Executors.newFixedThreadPool(4);
        try
        {
            final List<Future<Boolean>> results = new ArrayList<>();
            for (int thread = 0; thread < 4; thread++)
            {
                results.add(executor.submit(() ->
                {
                    for (int round = 0; round < 50; round++)
                    {
                        for (int i = 0; i < texts.size(); i++)
                        {
                            if (!Arrays.equals(expected.get(i), tokenizer.encode(texts.get(i)).ids()))
                            {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (final Future<Boolean> result : results)
            {
                assertTrue(result.get(10, TimeUnit.SECONDS));
            }
        }
        finally
        {
            executor.shutdownNow();
        }
    }

    private static WordPieceTokenizer fromJson(final String json) throws IOException
    {
        return WordPieceTokenizer.fromJson(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }
}
