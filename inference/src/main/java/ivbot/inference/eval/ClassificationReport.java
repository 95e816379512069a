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
}
