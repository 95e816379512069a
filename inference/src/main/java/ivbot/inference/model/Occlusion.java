package ivbot.inference.model;

/**
 * What {@link IntentModel#occlude} measured for one turn: every label's probability for the turn as it is
 * (row 0), and again for each copy with one of its text's tokens masked (row {@code 1 + token}).
 * <pre>
 *   row 0          p(label 0) p(label 1) ... p(label L-1)     the turn as it is
 *   row 1          p(label 0) p(label 1) ... p(label L-1)     token 0 masked
 *   ...
 *   row T          ...                                        token T-1 masked
 * </pre>
 * The saliency of a token for a label is how much masking it lowers that label's probability:
 * {@code probability(label) - maskedProbability(token, label)}, negative where the token argued against it.
 * <p>
 * Immutable once made; safe to read from any thread after a safe publication.
 */
public final class Occlusion
{
    private final String[] labels;
    private final String[] tokens;
    private final float[] rows;

    Occlusion(final String[] labels, final String[] tokens, final float[] rows)
    {
        if (rows.length != labels.length * (tokens.length + 1))
        {
            throw new IllegalArgumentException("rows.length=" + rows.length + " (expected: " +
                labels.length * (tokens.length + 1) + ")");
        }
        this.labels = labels;
        this.tokens = tokens;
        this.rows = rows;
    }

    /**
     * @return the number of labels.
     */
    public int labelCount()
    {
        return labels.length;
    }

    /**
     * @param label a label index, in {@code [0, labelCount())}.
     * @return its intent id.
     */
    public String labelId(final int label)
    {
        return labels[label];
    }

    /**
     * @param id an intent id.
     * @return its label index, or -1 when the model has no such label.
     */
    public int labelIndex(final String id)
    {
        for (int i = 0; i < labels.length; i++)
        {
            if (labels[i].equals(id))
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * @return the label the model gives the turn as it is (the first of equals).
     */
    public int best()
    {
        int best = 0;
        for (int i = 1; i < labels.length; i++)
        {
            best = rows[i] > rows[best] ? i : best;
        }
        return best;
    }

    /**
     * @param label a label index.
     * @return its probability for the turn as it is.
     */
    public float probability(final int label)
    {
        return rows[label];
    }

    /**
     * @return the number of tokens masked one at a time.
     */
    public int tokenCount()
    {
        return tokens.length;
    }

    /**
     * @param token a token index, in {@code [0, tokenCount())}.
     * @return the token as the vocabulary spells it, a continuation without its {@code ##}.
     */
    public String token(final int token)
    {
        return tokens[token];
    }

    /**
     * @param token a token index.
     * @param label a label index.
     * @return the label's probability with that token masked.
     */
    public float maskedProbability(final int token, final int label)
    {
        return rows[(token + 1) * labels.length + label];
    }

    /**
     * @param token a token index.
     * @param label a label index.
     * @return how much masking the token lowers the label's probability.
     */
    public float saliency(final int token, final int label)
    {
        return probability(label) - maskedProbability(token, label);
    }
}
