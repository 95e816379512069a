package ivbot.inference.tokenizer;

import ivbot.inference.TextNormalizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bge-small-zh-v1.5's vocabulary is cased ({@code lowercase: false}) but holds almost no upper-case Latin, so
 * the HR words candidates type in capitals or full width are {@code [UNK]} unless the text goes through
 * {@link TextNormalizer} (NFKC, lower case) first.
 */
final class WordPieceCaseSensitivityTest
{
    private static WordPieceTokenizer tokenizer;

    @BeforeAll
    static void setUp() throws IOException
    {
        try (InputStream in = WordPieceTokenizer.class.getClassLoader()
            .getResourceAsStream(WordPieceTokenizer.BGE_SMALL_ZH_TOKENIZER_RESOURCE))
        {
            assertNotNull(in, WordPieceTokenizer.BGE_SMALL_ZH_TOKENIZER_RESOURCE);
            tokenizer = WordPieceTokenizer.fromJson(in);
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "Offer, offer",
        "HR, hr",
        "ＨＲ, hr",
        "WFH, w ##f ##h",
        })
    void shouldBeUnknownRawButKnownAfterTextNormalizer(final String raw, final String normalizedPieces)
    {
        assertEquals(List.of("[UNK]"), pieces(raw), raw + " as typed");
        assertEquals(Arrays.asList(normalizedPieces.split(" ")), pieces(TextNormalizer.normalize(raw)),
            raw + " after TextNormalizer.normalize");
    }

    @Test
    void shouldKeepUnknownOutOfANormalizedQuestion()
    {
        final String question = "HR说Offer下周发，可以WFH吗？";
        assertTrue(pieces(question).contains("[UNK]"));
        final List<String> normalized = pieces(TextNormalizer.normalize(question));
        assertFalse(normalized.contains("[UNK]"), normalized.toString());
        // NFKC also turns the full-width ， and ？ into ASCII , and ?
        assertEquals(List.of("hr", "说", "offer", "下", "周", "发", ",", "可", "以", "w", "##f", "##h", "吗", "?"),
            normalized);
    }

    @Test
    void shouldNotLetANormalizedTextTypeSpecialTokens()
    {
        assertEquals(List.of("年", "[SEP]", "假"), pieces("年[SEP]假"));
        assertEquals(List.of("年", "[", "sep", "]", "假"), pieces(TextNormalizer.normalize("年[SEP]假")));
    }

    private static List<String> pieces(final String text)
    {
        final Encoding encoding = tokenizer.encode(text);
        final List<String> pieces = new ArrayList<>();
        for (int i = 1; i < encoding.length() - 1; i++)
        {
            pieces.add(tokenizer.token((int)encoding.id(i)));
        }
        return pieces;
    }
}
