package ivbot.inference.data;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * A port of the similarity ratio of Python's {@code difflib.SequenceMatcher(None, a, b).ratio()}
 * (Ratcliff/Obershelp: {@code 2*M/T}, where {@code M} sums the sizes of the matching blocks found by taking
 * the longest common block, earliest in {@code a} then in {@code b} on ties, and recursing on both sides
 * of it, and {@code T} is the total length). Strings are compared by code point, as Python does. There is
 * no junk and no autojunk heuristic: difflib applies autojunk only when {@code b} has 200 or more
 * elements, which the questions here never have. Like difflib, the ratio is not symmetric.
 */
final class Difflib
{
    private Difflib()
    {
    }

    /**
     * @return {@code SequenceMatcher(None, a, b).ratio()}.
     */
    static double ratio(final String a, final String b)
    {
        return ratio(a.codePoints().toArray(), b.codePoints().toArray());
    }

    static double ratio(final int[] a, final int[] b)
    {
        final int total = a.length + b.length;
        return total == 0 ? 1.0 : 2.0 * matches(a, b) / total;
    }

    /**
     * An upper bound of {@link #ratio(int[], int[])} (difflib's {@code quick_ratio}: the size of the
     * multiset intersection), cheap enough to skip most pairs before the exact ratio.
     */
    static double quickRatio(final int[] a, final int[] b)
    {
        final int total = a.length + b.length;
        if (total == 0)
        {
            return 1.0;
        }
        final Map<Integer, Integer> counts = new HashMap<>();
        for (final int c : b)
        {
            counts.merge(c, 1, Integer::sum);
        }
        int common = 0;
        for (final int c : a)
        {
            final Integer left = counts.get(c);
            if (left != null && left > 0)
            {
                common++;
                counts.put(c, left - 1);
            }
        }
        return 2.0 * common / total;
    }

    /**
     * @return the sum of the sizes of difflib's matching blocks.
     */
    static int matches(final int[] a, final int[] b)
    {
        int matched = 0;
        final Deque<int[]> queue = new ArrayDeque<>();
        queue.push(new int[] {0, a.length, 0, b.length});
        final int[] prev = new int[b.length + 1];
        final int[] cur = new int[b.length + 1];
        while (!queue.isEmpty())
        {
            final int[] range = queue.pop();
            final int alo = range[0];
            final int ahi = range[1];
            final int blo = range[2];
            final int bhi = range[3];
            // find_longest_match: the first (i, j) in row order that reaches the longest block
            int besti = alo;
            int bestj = blo;
            int bestsize = 0;
            java.util.Arrays.fill(prev, 0);
            for (int i = alo; i < ahi; i++)
            {
                cur[blo] = 0;
                for (int j = blo; j < bhi; j++)
                {
                    if (a[i] == b[j])
                    {
                        final int k = prev[j] + 1;
                        cur[j + 1] = k;
                        if (k > bestsize)
                        {
                            besti = i - k + 1;
                            bestj = j - k + 1;
                            bestsize = k;
                        }
                    }
                    else
                    {
                        cur[j + 1] = 0;
                    }
                }
                System.arraycopy(cur, blo, prev, blo, bhi - blo + 1);
            }
            if (bestsize > 0)
            {
                matched += bestsize;
                if (alo < besti && blo < bestj)
                {
                    queue.push(new int[] {alo, besti, blo, bestj});
                }
                if (besti + bestsize < ahi && bestj + bestsize < bhi)
                {
                    queue.push(new int[] {besti + bestsize, ahi, bestj + bestsize, bhi});
                }
            }
        }
        return matched;
    }
}
