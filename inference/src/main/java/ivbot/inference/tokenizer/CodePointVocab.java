package ivbot.inference.tokenizer;

import java.util.Map;

/**
 * A WordPiece vocabulary keyed by code point sequences, so that the greedy longest-match loop can look a piece up
 * straight from its word buffer without building a {@code String} per probe.
 * <p>
 * Each vocabulary token is entered as a word-initial piece; a token that starts with the continuing-subword
 * prefix ({@code "##"}) is entered a second time, without its prefix, as a continuation piece. Looking up
 * continuation {@code "fer"} is therefore the same as HF's lookup of {@code "##fer"}.
 * <p>
 * Open addressing with linear probing; each slot is four ints: hash, start in the code point pool, length with
 * the continuation flag in bit 0, token id. Immutable after construction and safe to share between threads.
 */
final class CodePointVocab
{
    private static final int SLOT_INTS = 4;
    private static final int EMPTY = -1;

    private final int[] pool;
    private final int[] slots;
    private final int mask;
    private final int maxInitialLength;
    private final int maxContinuationLength;

    /**
     * @param vocab token to id, ids non-negative.
     * @param continuingSubwordPrefix the prefix that marks a continuation piece, not empty.
     */
    CodePointVocab(final Map<String, Integer> vocab, final String continuingSubwordPrefix)
    {
        int entries = 0;
        int poolSize = 0;
        for (final String token : vocab.keySet())
        {
            entries++;
            poolSize += token.codePointCount(0, token.length());
            if (token.startsWith(continuingSubwordPrefix) && token.length() > continuingSubwordPrefix.length())
            {
                entries++;
            }
        }
        final int capacity = Integer.highestOneBit(Math.max(entries, 8) * 2 - 1) << 1;
        this.pool = new int[poolSize];
        this.slots = new int[capacity * SLOT_INTS];
        this.mask = capacity - 1;
        for (int slot = 0; slot < capacity; slot++)
        {
            slots[slot * SLOT_INTS + 1] = EMPTY;
        }

        int poolOffset = 0;
        int maxInitial = 0;
        int maxContinuation = 0;
        final int prefixCodePoints = continuingSubwordPrefix.codePointCount(0, continuingSubwordPrefix.length());
        for (final Map.Entry<String, Integer> entry : vocab.entrySet())
        {
            final String token = entry.getKey();
            final int id = entry.getValue();
            final int start = poolOffset;
            for (int i = 0; i < token.length(); )
            {
                final int codePoint = token.codePointAt(i);
                pool[poolOffset++] = codePoint;
                i += Character.charCount(codePoint);
            }
            final int length = poolOffset - start;
            insert(start, length, false, id);
            maxInitial = Math.max(maxInitial, length);
            if (token.startsWith(continuingSubwordPrefix) && length > prefixCodePoints)
            {
                insert(start + prefixCodePoints, length - prefixCodePoints, true, id);
                maxContinuation = Math.max(maxContinuation, length - prefixCodePoints);
            }
        }
        this.maxInitialLength = maxInitial;
        this.maxContinuationLength = maxContinuation;
    }

    /**
     * @param continuation whether the piece follows another piece of the same word.
     * @return the longest piece, in code points, that can match at that position.
     */
    int maxPieceLength(final boolean continuation)
    {
        return continuation ? maxContinuationLength : maxInitialLength;
    }

    /**
     * @param codePoints buffer holding the piece.
     * @param from first code point of the piece, inclusive.
     * @param to end of the piece, exclusive, greater than {@code from}.
     * @param continuation true to look the piece up as a continuation ({@code "##"} + piece).
     * @return the token id, or -1 when the vocabulary has no such piece.
     */
    int find(final int[] codePoints, final int from, final int to, final boolean continuation)
    {
        final int[] slots = this.slots;
        final int[] pool = this.pool;
        final int hash = hash(codePoints, from, to, continuation);
        final int lengthAndFlag = ((to - from) << 1) | (continuation ? 1 : 0);
        int slot = hash & mask;
        while (true)
        {
            final int base = slot * SLOT_INTS;
            final int start = slots[base + 1];
            if (start == EMPTY)
            {
                return -1;
            }
            if (slots[base] == hash && slots[base + 2] == lengthAndFlag && equal(pool, start, codePoints, from, to))
            {
                return slots[base + 3];
            }
            slot = (slot + 1) & mask;
        }
    }

    private void insert(final int start, final int length, final boolean continuation, final int id)
    {
        final int hash = hash(pool, start, start + length, continuation);
        final int lengthAndFlag = (length << 1) | (continuation ? 1 : 0);
        int slot = hash & mask;
        // keys are unique: they come from a map, and continuation keys carry their own flag
        while (slots[slot * SLOT_INTS + 1] != EMPTY)
        {
            slot = (slot + 1) & mask;
        }
        final int base = slot * SLOT_INTS;
        slots[base] = hash;
        slots[base + 1] = start;
        slots[base + 2] = lengthAndFlag;
        slots[base + 3] = id;
    }

    private static boolean equal(
        final int[] pool, final int start, final int[] codePoints, final int from, final int to)
    {
        for (int i = from, j = start; i < to; i++, j++)
        {
            if (pool[j] != codePoints[i])
            {
                return false;
            }
        }
        return true;
    }

    private static int hash(final int[] codePoints, final int from, final int to, final boolean continuation)
    {
        int hash = continuation ? 0x9E3779B9 : 0x7F4A7C15;
        for (int i = from; i < to; i++)
        {
            hash = (hash ^ codePoints[i]) * 0x01000193;
        }
        hash ^= hash >>> 16;
        hash *= 0x85EBCA6B;
        return hash ^ (hash >>> 13);
    }
}
