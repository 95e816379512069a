package ivbot.inference;

import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.model.Models;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class TextNormalizerTest
{
    @Test
    void shouldAgreeWithFullNormalisationOnRealAndRandomText() throws Exception
    {
        final List<String> texts = new ArrayList<>();
        for (final LabelledQuery query : Models.dev())
        {
            texts.add(query.text());
            texts.add(" " + query.text().toUpperCase(java.util.Locale.ROOT) + "？\u3000");
        }
        // characters around the edges of the fast path's ranges, and ones that NFKC or lower-casing change
        final char[] alphabet = {'a', 'z', 'A', 'Z', '0', ' ', '\t', '?', '\u007f', '\u0080', '\u00e9', '\u0301',
            '\u3000', '\u3001', '\u4dff', '\u4e00', '\u5e74', '\u9fff', '\ua000', '\uf900', '\uff21', '\uff1f',
            '\u2460', '\u00bd', '\u0130', '\u212a', '\ud83d', '\ude00', '\u1100', '\u1161', '\uac00'};
        final SplittableRandom random = new SplittableRandom(20261125L);
        for (int i = 0; i < 20_000; i++)
        {
            final char[] chars = new char[random.nextInt(0, 12)];
            for (int j = 0; j < chars.length; j++)
            {
                chars[j] = random.nextInt(3) == 0 ? alphabet[random.nextInt(alphabet.length)] :
                    (char)random.nextInt(0x4E00, 0xA000);
            }
            texts.add(new String(chars));
        }
        for (final String text : texts)
        {
            assertEquals(TextNormalizer.normalizeFully(text), TextNormalizer.normalize(text), text);
        }
    }

    @Test
    void shouldReturnPlainChineseAsItIs()
    {
        final String query = "校招年假几天";
        assertSame(query, TextNormalizer.normalize(query));
        assertEquals("hr 几点上班?", TextNormalizer.normalize(" ＨＲ 几点上班？"));
    }
}
