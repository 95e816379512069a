package ivbot.inference.model;

import ai.onnxruntime.OrtException;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.tokenizer.WordPieceTokenizer;

import java.util.List;

/**
 * A loaded intent model: an ONNX session whose output is {@code [batch, labels]} logits, its labels, its
 * calibrated confidence threshold and its version. {@link #predict} applies a softmax and returns the
 * best label per query.
 * <p>
 * Not thread-safe: owned by one thread (the inference agent), or by an evaluator. {@link #close()}
 * releases the ONNX session.
 */
public final class IntentModel implements BatchPredictor
{
    private final String version;
    private final IntentCatalog catalog;
    private final Intent[] labels;
    private final float threshold;
    private final float rulesThreshold;
    private final float topicConfidence;
    private final double packageMacroF1;
    private final OrtRunner runner;
    private final float[] logits;
    private final boolean readsContext;

    IntentModel(final String version, final IntentCatalog catalog, final Intent[] labels, final float threshold,
        final float rulesThreshold, final float topicConfidence, final double packageMacroF1, final OrtRunner runner,
        final boolean readsContext)
    {
        if (runner.width() != labels.length)
        {
            throw new IllegalArgumentException(
                "model output width " + runner.width() + " (expected: " + labels.length + " labels)");
        }
        this.version = version;
        this.catalog = catalog;
        this.labels = labels;
        this.threshold = threshold;
        this.rulesThreshold = rulesThreshold;
        this.topicConfidence = topicConfidence;
        this.packageMacroF1 = packageMacroF1;
        this.runner = runner;
        this.logits = new float[runner.maxBatchSize() * labels.length];
        this.readsContext = readsContext;
    }

    /**
     * @return true when the model was trained to read the conversation (the manifest's {@code "context":
     *         "topic"}): a turn is classified as a sentence pair, the session topic's Chinese name
     *         ({@link Intent#zh()}) as segment A; false for a model of single questions.
     */
    public boolean readsContext()
    {
        return readsContext;
    }

    /**
     * @return batches run as two, short rows apart from long ones ({@link OrtRunner}); on the predicting thread.
     */
    long lengthSplits()
    {
        return runner.lengthSplits();
    }

    /**
     * @return the package version, e.g. {@code 20261125-1}.
     */
    @Override
    public String version()
    {
        return version;
    }

    /**
     * @return the catalog the labels belong to (the package's own, else the one it was loaded with).
     */
    public IntentCatalog catalog()
    {
        return catalog;
    }

    /**
     * @return {@code cpu} or {@code cuda:N}.
     */
    public String device()
    {
        return runner.device();
    }

    /**
     * @return the confidence under which the model's answer is not trusted.
     */
    public float threshold()
    {
        return threshold;
    }

    /**
     * @return the rule confidence from which the rule engine answers before the model (above 1: never).
     */
    public float rulesThreshold()
    {
        return rulesThreshold;
    }

    /**
     * @return the confidence from which the model's answer names a new topic even where the rules see none
     *         (above 1: never), or {@code NaN} when the package leaves it to the server's setting. A fine-tuned
     *         model that is sure of follow-ups ("那实习生呢") needs it higher than a frozen encoder does.
     */
    public float topicConfidence()
    {
        return topicConfidence;
    }

    /**
     * @return the dev-set macro-F1 recorded in the package's {@code metrics.json}, or {@code NaN}.
     */
    public double packageMacroF1()
    {
        return packageMacroF1;
    }

    /**
     * @return the largest batch {@link #predict} takes.
     */
    public int maxBatchSize()
    {
        return runner.maxBatchSize();
    }

    /**
     * Classifies a batch.
     *
     * @param normalizedTexts queries after {@link ivbot.inference.TextNormalizer}, at most
     *                        {@link #maxBatchSize()}.
     * @param out             receives one prediction per text, in order.
     * @throws OrtException when ONNX Runtime fails.
     */
    @Override
    public void predict(final List<String> normalizedTexts, final Prediction[] out) throws OrtException
    {
        predict(null, normalizedTexts, out);
    }

    /**
     * Classifies a batch of turns, each with its context.
     *
     * @param contexts        segment A of each turn ({@code null} or empty for none), or {@code null} for no
     *                        contexts at all; ignored by a model that does not {@link #readsContext()}.
     * @param normalizedTexts queries after {@link ivbot.inference.TextNormalizer}, at most
     *                        {@link #maxBatchSize()}.
     * @param out             receives one prediction per text, in order.
     * @throws OrtException when ONNX Runtime fails.
     */
    @Override
    public void predict(final List<String> contexts, final List<String> normalizedTexts, final Prediction[] out)
        throws OrtException
    {
        final int width = runner.run(readsContext ? contexts : null, normalizedTexts, logits);
        for (int row = 0; row < normalizedTexts.size(); row++)
        {
            final int base = row * width;
            int best = 0;
            float max = logits[base];
            float second = Float.NEGATIVE_INFINITY;
            for (int i = 1; i < width; i++)
            {
                final float logit = logits[base + i];
                if (logit > max)
                {
                    second = max;
                    max = logit;
                    best = i;
                }
                else if (logit > second)
                {
                    second = logit;
                }
            }
            double sum = 0;
            for (int i = 0; i < width; i++)
            {
                sum += Math.exp(logits[base + i] - max);
            }
            final double top = 1.0 / sum;
            out[row] = new Prediction(labels[best], (float)top, (float)(top - Math.exp(second - max) / sum), version);
        }
    }

    /**
     * Gives every label's probability (the softmax of the logits) for a batch of turns.
     *
     * @param contexts        as for {@link #predict(List, List, Prediction[])}.
     * @param normalizedTexts queries after {@link ivbot.inference.TextNormalizer}, at most
     *                        {@link #maxBatchSize()}.
     * @param out             receives {@code normalizedTexts.size()} rows of {@link #labelCount()} probabilities,
     *                        row-major, in the order of {@link #labelId(int)}.
     * @throws OrtException when ONNX Runtime fails.
     */
    public void probabilities(final List<String> contexts, final List<String> normalizedTexts, final float[] out)
        throws OrtException
    {
        final int width = runner.run(readsContext ? contexts : null, normalizedTexts, logits);
        for (int row = 0; row < normalizedTexts.size(); row++)
        {
            softmax(logits, row * width, width, out);
        }
    }

    /**
     * Occlusion of one turn: the label probabilities of the turn as it is, and again with each of its text's
     * tokens (segment B) in turn replaced by {@code [MASK]} ({@code [UNK]} where the vocabulary has no mask).
     * The copies run in batches of at most {@link #maxBatchSize()} rows.
     *
     * @param context        segment A ({@code null} or empty for none); ignored by a model that does not
     *                       {@link #readsContext()}.
     * @param normalizedText the query after {@link ivbot.inference.TextNormalizer}.
     * @param maxTokens      the most tokens masked, from the text's start; later tokens are left out.
     * @return the probabilities and the masked tokens.
     * @throws OrtException when ONNX Runtime fails.
     */
    public Occlusion occlude(final String context, final String normalizedText, final int maxTokens) throws OrtException
    {
        if (maxTokens <= 0)
        {
            throw new IllegalArgumentException("maxTokens=" + maxTokens + " (expected: > 0)");
        }
        final OrtRunner.EncodedTurn turn = runner.encode(readsContext ? context : null, normalizedText);
        final int seq = turn.ids().length;
        int first = 1;
        while (first < seq && turn.types()[first] == 0L)
        {
            first++;
        }
        // a single text is all segment 0: its tokens start after [CLS]
        first = first == seq ? 1 : first;
        final int tokens = Math.max(0, Math.min(maxTokens, seq - 1 - first));
        final int rows = tokens + 1;
        final long[] ids = new long[rows * seq];
        final long[] types = new long[rows * seq];
        final int maskId = maskId(runner.tokenizer());
        final String[] text = new String[tokens];
        for (int row = 0; row < rows; row++)
        {
            System.arraycopy(turn.ids(), 0, ids, row * seq, seq);
            System.arraycopy(turn.types(), 0, types, row * seq, seq);
            if (row > 0)
            {
                final int position = first + row - 1;
                ids[row * seq + position] = maskId;
                final String piece = runner.tokenizer().token((int)turn.ids()[position]);
                text[row - 1] = piece != null && piece.startsWith("##") && piece.length() > 2 ? piece.substring(2) : piece;
            }
        }
        final int width = labels.length;
        final float[] probabilities = new float[rows * width];
        final int batch = runner.maxBatchSize();
        for (int start = 0; start < rows; start += batch)
        {
            final int count = Math.min(batch, rows - start);
            runner.runRows(ids, types, start, count, seq, logits);
            for (int row = 0; row < count; row++)
            {
                softmax(logits, row * width, width, probabilities, (start + row) * width);
            }
        }
        return new Occlusion(labelIds(), text, probabilities);
    }

    /**
     * @return the number of labels, the width of a probability row.
     */
    public int labelCount()
    {
        return labels.length;
    }

    /**
     * @param index a label's position in the logits, in {@code [0, labelCount())}.
     * @return the label's intent id.
     */
    public String labelId(final int index)
    {
        return labels[index].id();
    }

    private String[] labelIds()
    {
        final String[] ids = new String[labels.length];
        for (int i = 0; i < ids.length; i++)
        {
            ids[i] = labelId(i);
        }
        return ids;
    }

    private static int maskId(final WordPieceTokenizer tokenizer)
    {
        final int mask = tokenizer.tokenId("[MASK]");
        return mask >= 0 ? mask : tokenizer.unkId();
    }

    private static void softmax(final float[] logits, final int base, final int width, final float[] out)
    {
        softmax(logits, base, width, out, base);
    }

    private static void softmax(final float[] logits, final int base, final int width, final float[] out, final int outBase)
    {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < width; i++)
        {
            max = Math.max(max, logits[base + i]);
        }
        double sum = 0;
        for (int i = 0; i < width; i++)
        {
            sum += Math.exp(logits[base + i] - max);
        }
        for (int i = 0; i < width; i++)
        {
            out[outBase + i] = (float)(Math.exp(logits[base + i] - max) / sum);
        }
    }

    @Override
    public void close()
    {
        runner.close();
    }
}
