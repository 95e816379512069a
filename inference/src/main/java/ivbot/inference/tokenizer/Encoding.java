package ivbot.inference.tokenizer;

import java.util.Arrays;

/**
 * The token ids of one text, {@code [CLS]} and {@code [SEP]} included, unpadded: its attention mask is all ones
 * and its token type ids all zeros.
 * <p>
 * Immutable and safe to share between threads; every array accessor returns a fresh copy. The batching path
 * uses {@link WordPieceTokenizer#encodeBatch} instead, which writes into the caller's buffers.
 */
public final class Encoding
{
    private final long[] ids;

    Encoding(final long[] ids)
    {
        this.ids = ids;
    }

    /**
     * @return the number of tokens, special tokens included; at least 2.
     */
    public int length()
    {
        return ids.length;
    }

    /**
     * @param index a position in {@code [0, length())}.
     * @return the token id at that position.
     */
    public long id(final int index)
    {
        return ids[index];
    }

    /**
     * @return a copy of the token ids.
     */
    public long[] ids()
    {
        return ids.clone();
    }

    /**
     * @return a new array of {@link #length()} ones.
     */
    public long[] attentionMask()
    {
        final long[] mask = new long[ids.length];
        Arrays.fill(mask, 1L);
        return mask;
    }

    /**
     * @return a new array of {@link #length()} zeros: a single sequence is all segment 0.
     */
    public long[] tokenTypeIds()
    {
        return new long[ids.length];
    }

    @Override
    public String toString()
    {
        return "Encoding" + Arrays.toString(ids);
    }
}
