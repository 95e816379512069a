package ivbot.inference.eval;

import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;

import java.util.Locale;

/**
 * Accumulates gold and predicted intents and reports per-intent precision, recall and F1, accuracy and
 * macro-F1. Macro-F1 averages over the intents that occur as gold or as prediction (as scikit-learn does
 * by default). Intents are counted by id in the catalog the report is made for, so gold labels and
 * predictions may come from two loads of the catalog, or from two catalogs that share the ids. Not
 * thread-safe.
 */
public final class ClassificationReport
{
    private final IntentCatalog catalog;
    private final int[] truePositives;
    private final int[] goldCounts;
    private final int[] predictedCounts;
    // confusion[gold][predicted]
    private final int[][] confusion;
    private int total;
    private int correct;

    /**
     * @param catalog the intents reported on; arrays are sized by it.
     */
    public ClassificationReport(final IntentCatalog catalog)
    {
        this.catalog = catalog;
        final int n = catalog.size();
        truePositives = new int[n];
        goldCounts = new int[n];
        predictedCounts = new int[n];
        confusion = new int[n][n];
    }

    /**
     * @param gold      the true intent.
     * @param predicted the predicted intent.
     * @throws IllegalArgumentException when either id is not an intent of the report's catalog.
     */
    public void add(final Intent gold, final Intent predicted)
    {
        final int g = indexOf(gold);
        final int p = indexOf(predicted);
        total++;
        goldCounts[g]++;
        predictedCounts[p]++;
        confusion[g][p]++;
        if (g == p)
        {
            correct++;
            truePositives[g]++;
        }
    }

    private int indexOf(final Intent intent)
    {
        final Intent own = catalog.fromId(intent.id());
        if (own == null)
        {
            throw new IllegalArgumentException("intent '" + intent.id() + "' is not in catalog " + catalog.source());
        }
        return own.index();
    }

    /**
     * @return the number of examples.
     */
    public int total()
    {
        return total;
    }

    /**
     * @return the share of correct predictions, 0 when empty.
     */
    public double accuracy()
    {
        return total == 0 ? 0 : (double)correct / total;
    }

    /**
     * @param intent an intent.
     * @return its precision, 0 when never predicted.
     */
    public double precision(final Intent intent)
    {
        final int i = indexOf(intent);
        final int predicted = predictedCounts[i];
        return predicted == 0 ? 0 : (double)truePositives[i] / predicted;
    }

    /**
     * @param intent an intent.
     * @return its recall, 0 when it never occurs as gold.
     */
    public double recall(final Intent intent)
    {
        final int i = indexOf(intent);
        final int gold = goldCounts[i];
        return gold == 0 ? 0 : (double)truePositives[i] / gold;
    }

    /**
     * @param intent an intent.
     * @return its F1, 0 when precision and recall are both 0.
     */
    public double f1(final Intent intent)
    {
        final double p = precision(intent);
        final double r = recall(intent);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /**
     * @return the mean F1 over intents that occur as gold or prediction, 0 when empty.
     */
    public double macroF1()
    {
        return macroF1(false);
    }

    /**
     * The macro-F1 of the model repository's gate: the mean F1 over the intents that occur as gold only. An
     * intent the labelled rows have no example of cannot be measured (a new intent a candidate adds), so it
     * is left out of the mean; its false positives still cost the true intents their recall.
     *
     * @return the mean F1 over intents that occur as gold, 0 when empty.
     */
    public double macroF1OverGold()
    {
        return macroF1(true);
    }

    private double macroF1(final boolean goldOnly)
    {
        double sum = 0;
        int labels = 0;
        for (final Intent intent : catalog.intents())
        {
            final int i = intent.index();
            if (goldCounts[i] + (goldOnly ? 0 : predictedCounts[i]) > 0)
            {
                sum += f1(intent);
                labels++;
            }
        }
        return labels == 0 ? 0 : sum / labels;
    }

    /**
     * @return the per-intent table followed by the summary line
     * {@code accuracy=A macro_f1=F n=N} (4 decimals) as its last line.
     */
    public String format()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-20s %9s %9s %9s %8s%n", "intent", "precision", "recall", "f1", "support"));
        for (final Intent intent : catalog.intents())
        {
            if (goldCounts[intent.index()] + predictedCounts[intent.index()] > 0)
            {
                sb.append(String.format(Locale.ROOT, "%-20s %9.4f %9.4f %9.4f %8d%n",
                    intent.id(), precision(intent), recall(intent), f1(intent), goldCounts[intent.index()]));
            }
        }
        sb.append(summaryLine());
        return sb.toString();
    }

    /**
     * @return {@code accuracy=A macro_f1=F n=N}.
     */
    public String summaryLine()
    {
        return String.format(Locale.ROOT, "accuracy=%.4f macro_f1=%.4f n=%d", accuracy(), macroF1(), total);
    }

    /**
     * @param gold      a true intent.
     * @param predicted a predicted intent.
     * @return how many examples of {@code gold} were predicted as {@code predicted}.
     */
    public int confusion(final Intent gold, final Intent predicted)
    {
        return confusion[indexOf(gold)][indexOf(predicted)];
    }

    /**
     * The report as JSON, as {@code rasa test nlu} writes its intent report: the totals, then per intent
     * precision, recall, F1 and support, then the confusion matrix (rows: true intent; columns: predicted,
     * in the label order of {@code labels}).
     *
     * @param classifier what was evaluated, e.g. {@code served}.
     * @return the JSON text.
     */
    public String toJson(final String classifier)
    {
        final StringBuilder out = new StringBuilder(4096);
        out.append("{\n  \"classifier\": \"").append(classifier).append("\",\n");
        out.append("  \"n\": ").append(total).append(",\n");
        out.append("  \"accuracy\": ").append(round(accuracy())).append(",\n");
        out.append("  \"macro_f1\": ").append(round(macroF1())).append(",\n");
        out.append("  \"intents\": {\n");
        final Intent[] intents = catalog.intents().toArray(new Intent[0]);
        for (int i = 0; i < intents.length; i++)
        {
            final Intent intent = intents[i];
            out.append("    \"").append(intent.id()).append("\": {\"precision\": ").append(round(precision(intent)))
                .append(", \"recall\": ").append(round(recall(intent)))
                .append(", \"f1\": ").append(round(f1(intent)))
                .append(", \"support\": ").append(goldCounts[intent.index()]).append('}')
                .append(i + 1 < intents.length ? ",\n" : "\n");
        }
        out.append("  },\n  \"labels\": [");
        for (int i = 0; i < intents.length; i++)
        {
            out.append(i == 0 ? "" : ", ").append('"').append(intents[i].id()).append('"');
        }
        out.append("],\n  \"confusion\": [\n");
        for (int g = 0; g < intents.length; g++)
        {
            out.append("    [");
            for (int p = 0; p < intents.length; p++)
            {
                out.append(p == 0 ? "" : ", ").append(confusion[g][p]);
            }
            out.append(g + 1 < intents.length ? "],\n" : "]\n");
        }
        out.append("  ]\n}\n");
        return out.toString();
    }

    /**
     * The report as Markdown: the totals, a table per intent, and the confusions (every cell off the
     * diagonal that is not 0, most frequent first).
     *
     * @param classifier what was evaluated.
     * @return the Markdown text.
     */
    public String toMarkdown(final String classifier)
    {
        final StringBuilder out = new StringBuilder(4096);
        out.append("# Intent report: ").append(classifier).append("\n\n");
        out.append("accuracy ").append(round(accuracy())).append(", macro-F1 ").append(round(macroF1()))
            .append(", n ").append(total).append("\n\n");
        out.append("| intent | precision | recall | F1 | support |\n|---|---|---|---|---|\n");
        for (final Intent intent : catalog.intents())
        {
            out.append("| ").append(intent.id()).append(" | ").append(round(precision(intent))).append(" | ")
                .append(round(recall(intent))).append(" | ").append(round(f1(intent))).append(" | ")
                .append(goldCounts[intent.index()]).append(" |\n");
        }
        final java.util.List<int[]> cells = new java.util.ArrayList<>();
        for (int g = 0; g < confusion.length; g++)
        {
            for (int p = 0; p < confusion.length; p++)
            {
                if (g != p && confusion[g][p] > 0)
                {
                    cells.add(new int[] {confusion[g][p], g, p});
                }
            }
        }
        cells.sort((a, b) -> Integer.compare(b[0], a[0]));
        out.append("\n## Confusions (true → predicted)\n\n");
        if (cells.isEmpty())
        {
            out.append("none\n");
        }
        else
        {
            out.append("| true | predicted | count |\n|---|---|---|\n");
            final Intent[] intents = catalog.intents().toArray(new Intent[0]);
            for (final int[] cell : cells)
            {
                out.append("| ").append(intents[cell[1]].id()).append(" | ").append(intents[cell[2]].id()).append(" | ")
                    .append(cell[0]).append(" |\n");
            }
        }
        return out.toString();
    }

    private static String round(final double value)
    {
        return String.format(java.util.Locale.ROOT, "%.4f", value);
    }
}
