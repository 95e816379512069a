package ivbot.inference.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The held-out data must not leak from the training data: no dev question equal to a training question
 * after NFKC and lower case, none at least {@value #SIMILAR} similar to one (difflib's ratio, either
 * direction), no two dev questions that similar, no turn of a training dialog that similar to a dev
 * question, and no training dialog with the same sequence of turn texts as a dev dialog (the test reads
 * {@code dialogs.jsonl}; people writing training dialogs should not).
 */
class DataSetOverlapTest
{
    static final double SIMILAR = 0.85;

    @Test
    void shouldMatchPythonDifflibRatio()
    {
        // values printed by python3: difflib.SequenceMatcher(None, a, b).ratio()
        assertEquals(0.25, Difflib.ratio("tide", "diet"));
        assertEquals(0.5, Difflib.ratio("diet", "tide"));
        assertEquals(0.9230769230769231, Difflib.ratio("二婚还有婚假吗", "二婚有婚假吗"));
        assertEquals(0.9230769230769231, Difflib.ratio("有带薪病假吗🤒", "有带薪病假吗"));
        assertEquals(0.8888888888888888, Difflib.ratio("病假期间工资照发吗", "产假期间工资照发吗"));
        assertEquals(0.4, Difflib.ratio("abxcd", "cdxab"));
        assertEquals(1.0, Difflib.ratio("", ""));
        assertEquals(0.0, Difflib.ratio("abc", ""));
        assertEquals(0.8888888888888888, Difflib.ratio("婚假可以分两次休吗,一次领证一次办酒", "婚假可以分两次休吗,领证一次办酒一次"));
        assertEquals(0.6666666666666666, Difflib.ratio("qabxcd", "abycdf"));
        assertEquals(0.13793103448275862, Difflib.ratio("校招进去第一年有几天年假啊", "年假怎么算的,按工龄还是按司龄?"));
        assertEquals(0.5, Difflib.ratio("private thread", "thread private"));
    }

    @Test
    void shouldShareNoQuestionVerbatim() throws Exception
    {
        final Map<String, DataFiles.Row> train = new HashMap<>();
        for (final DataFiles.Row row : DataFiles.readTsv(DataFiles.data("train.tsv")))
        {
            train.putIfAbsent(DataFiles.normalize(row.text()), row);
        }
        final List<String> offending = new ArrayList<>();
        for (final DataFiles.Row row : DataFiles.readTsv(DataFiles.data("dev.tsv")))
        {
            final DataFiles.Row same = train.get(DataFiles.normalize(row.text()));
            if (same != null)
            {
                offending.add("dev.tsv:" + row.line() + " '" + row.text() + "' = train.tsv:" + same.line() + " '"
                    + same.text() + "'");
            }
        }
        assertTrue(offending.isEmpty(), offending.size() + " dev questions also in train.tsv:\n"
            + String.join("\n", offending));
    }

    @Test
    void shouldHaveNoNearDuplicateBetweenTrainAndDev() throws Exception
    {
        final List<DataFiles.Row> train = DataFiles.readTsv(DataFiles.data("train.tsv"));
        final List<DataFiles.Row> dev = DataFiles.readTsv(DataFiles.data("dev.tsv"));
        final List<String> offending = new ArrayList<>();
        final int[][] trainCodes = codes(train);
        final int[][] devCodes = codes(dev);
        for (int d = 0; d < dev.size(); d++)
        {
            for (int t = 0; t < train.size(); t++)
            {
                final double ratio = similarity(devCodes[d], trainCodes[t]);
                if (ratio >= SIMILAR)
                {
                    offending.add(String.format("dev.tsv:%d '%s' ~ train.tsv:%d '%s' (%.3f)", dev.get(d).line(),
                        dev.get(d).text(), train.get(t).line(), train.get(t).text(), ratio));
                }
            }
        }
        for (int i = 0; i < dev.size(); i++)
        {
            for (int j = i + 1; j < dev.size(); j++)
            {
                final double ratio = similarity(devCodes[i], devCodes[j]);
                if (ratio >= SIMILAR)
                {
                    offending.add(String.format("dev.tsv:%d '%s' ~ dev.tsv:%d '%s' (%.3f)", dev.get(i).line(),
                        dev.get(i).text(), dev.get(j).line(), dev.get(j).text(), ratio));
                }
            }
        }
        assertTrue(offending.isEmpty(), offending.size() + " near-duplicate pairs (ratio >= " + SIMILAR + "):\n"
            + String.join("\n", offending));
    }

    @Test
    void shouldShareNoDialogBetweenTrainAndDev() throws Exception
    {
        final Map<List<String>, DataFiles.Dialog> train = new HashMap<>();
        final List<DataFiles.Dialog> trainDialogs = DataFiles.readDialogs(DataFiles.data("train_dialogs.jsonl"));
        final List<DataFiles.Dialog> devDialogs = DataFiles.readDialogs(DataFiles.data("dialogs.jsonl"));
        assertFalse(trainDialogs.isEmpty());
        assertFalse(devDialogs.isEmpty());
        for (final DataFiles.Dialog dialog : trainDialogs)
        {
            train.putIfAbsent(texts(dialog), dialog);
        }
        final List<String> offending = new ArrayList<>();
        for (final DataFiles.Dialog dialog : devDialogs)
        {
            final DataFiles.Dialog same = train.get(texts(dialog));
            if (same != null)
            {
                offending.add("dialogs.jsonl:" + dialog.line() + " (" + dialog.id() + ") = train_dialogs.jsonl:"
                    + same.line() + " (" + same.id() + ")");
            }
        }
        assertTrue(offending.isEmpty(), offending.size() + " dev dialogs also in train_dialogs.jsonl:\n"
            + String.join("\n", offending));
    }

    @Test
    void shouldHaveNoDevQuestionInTheTrainingDialogs() throws Exception
    {
        final List<DataFiles.Row> dev = DataFiles.readTsv(DataFiles.data("dev.tsv"));
        final int[][] devCodes = codes(dev);
        final Map<String, String> turns = new HashMap<>();
        for (final DataFiles.Dialog dialog : DataFiles.readDialogs(DataFiles.data("train_dialogs.jsonl")))
        {
            for (final DataFiles.Turn turn : dialog.turns())
            {
                turns.putIfAbsent(DataFiles.normalize(turn.text()).strip(), dialog.id());
            }
        }
        final List<String> offending = new ArrayList<>();
        for (final Map.Entry<String, String> turn : turns.entrySet())
        {
            final int[] text = turn.getKey().codePoints().toArray();
            for (int d = 0; d < dev.size(); d++)
            {
                final double ratio = similarity(text, devCodes[d]);
                if (ratio >= SIMILAR)
                {
                    offending.add(String.format("train_dialogs.jsonl %s '%s' ~ dev.tsv:%d '%s' (%.3f)", turn.getValue(),
                        turn.getKey(), dev.get(d).line(), dev.get(d).text(), ratio));
                }
            }
        }
        assertTrue(offending.isEmpty(), offending.size() + " training dialog turns near dev questions:\n"
            + String.join("\n", offending));
    }

    /**
     * difflib's ratio in the worse direction (it is not symmetric), after the two cheap upper bounds that
     * difflib itself offers ({@code real_quick_ratio}, {@code quick_ratio}).
     */
    private static double similarity(final int[] a, final int[] b)
    {
        final int total = a.length + b.length;
        if (total > 0 && 2.0 * Math.min(a.length, b.length) / total < SIMILAR)
        {
            return 0;
        }
        if (Difflib.quickRatio(a, b) < SIMILAR)
        {
            return 0;
        }
        return Math.max(Difflib.ratio(a, b), Difflib.ratio(b, a));
    }

    private static int[][] codes(final List<DataFiles.Row> rows)
    {
        final int[][] codes = new int[rows.size()][];
        for (int i = 0; i < rows.size(); i++)
        {
            codes[i] = DataFiles.normalize(rows.get(i).text()).codePoints().toArray();
        }
        return codes;
    }

    private static List<String> texts(final DataFiles.Dialog dialog)
    {
        return dialog.turns().stream().map(turn -> DataFiles.normalize(turn.text()).strip()).toList();
    }
}
