package ivbot.inference.eval;

import ivbot.inference.Intent;

import java.util.Locale;

/**
 * Accumulates gold and predicted intents and reports per-intent precision, recall and F1, accuracy and
 * macro-F1. Macro-F1 averages over the intents that occur as gold or as prediction (as scikit-learn does
 * by default). Not thread-safe.
 */
public final class ClassificationReport
{
    private final int[] truePositives = new int[Intent.count()];
    private final int[] goldCounts = new int[Intent.count()];
    private final int[] predictedCounts = new int[Intent.count()];
    // confusion[gold][predicted]
    private final int[][] confusion = new int[Intent.count()][Intent.count()];
    private int total;
    private int correct;

    /**
     * @param gold      the true intent.
     * @param predicted the predicted intent.
     */
    public void add(final Intent gold, final Intent predicted)
    {
        total++;
        goldCounts[gold.ordinal()]++;
        predictedCounts[predicted.ordinal()]++;
        confusion[gold.ordinal()][predicted.ordinal()]++;
        if (gold == predicted)
        {
            correct++;
            truePositives[gold.ordinal()]++;
        }
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
        final int predicted = predictedCounts[intent.ordinal()];
        return predicted == 0 ? 0 : (double)truePositives[intent.ordinal()] / predicted;
    }

    /**
     * @param intent an intent.
     * @return its recall, 0 when it never occurs as gold.
     */
    public double recall(final Intent intent)
    {
        final int gold = goldCounts[intent.ordinal()];
        return gold == 0 ? 0 : (double)truePositives[intent.ordinal()] / gold;
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
        double sum = 0;
        int labels = 0;
        for (final Intent intent : Intent.values())
        {
            if (goldCounts[intent.ordinal()] + predictedCounts[intent.ordinal()] > 0)
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
        for (final Intent intent : Intent.values())
        {
            if (goldCounts[intent.ordinal()] + predictedCounts[intent.ordinal()] > 0)
            {
                sb.append(String.format(Locale.ROOT, "%-20s %9.4f %9.4f %9.4f %8d%n",
                    intent.id(), precision(intent), recall(intent), f1(intent), goldCounts[intent.ordinal()]));
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
        return confusion[gold.ordinal()][predicted.ordinal()];
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
        final Intent[] intents = Intent.values();
        for (int i = 0; i < intents.length; i++)
        {
            final Intent intent = intents[i];
            out.append("    \"").append(intent.id()).append("\": {\"precision\": ").append(round(precision(intent)))
                .append(", \"recall\": ").append(round(recall(intent)))
                .append(", \"f1\": ").append(round(f1(intent)))
                .append(", \"support\": ").append(goldCounts[intent.ordinal()]).append('}')
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
        for (final Intent intent : Intent.values())
        {
            out.append("| ").append(intent.id()).append(" | ").append(round(precision(intent))).append(" | ")
                .append(round(recall(intent))).append(" | ").append(round(f1(intent))).append(" | ")
                .append(goldCounts[intent.ordinal()]).append(" |\n");
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
            final Intent[] intents = Intent.values();
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
