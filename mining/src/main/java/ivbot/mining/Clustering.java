package ivbot.mining;

import java.util.HashMap;
import java.util.Map;

/**
 * A clustering of n questions: {@code labels[id]} is a cluster number from 0, or {@link #NOISE}.
 *
 * @param labels         the cluster of each question id.
 * @param candidatePairs the pairs whose distance or similarity was computed.
 * @param edges          the pairs found close enough to link.
 */
public record Clustering(int[] labels, long candidatePairs, long edges)
{
    /** The label of a question in no cluster. */
    public static final int NOISE = -1;

    /**
     * @return the number of clusters.
     */
    public int clusters()
    {
        int max = -1;
        for (final int l : labels)
        {
            max = Math.max(max, l);
        }
        return max + 1;
    }

    /**
     * Turns component roots into cluster numbers 0..k-1 (largest first), components with fewer than
     * {@code minSize} questions becoming noise.
     *
     * @param roots   a component id per question (any int), or {@link #NOISE}.
     * @param minSize the smallest cluster kept, in questions.
     * @return cluster labels.
     */
    static int[] relabel(final int[] roots, final int minSize)
    {
        final Map<Integer, Integer> sizes = new HashMap<>();
        for (final int r : roots)
        {
            if (r != NOISE)
            {
                sizes.merge(r, 1, Integer::sum);
            }
        }
        final Map<Integer, Integer> number = new HashMap<>();
        sizes.entrySet().stream()
            .filter(e -> e.getValue() >= minSize)
            .sorted((a, b) -> a.getValue().equals(b.getValue()) ? Integer.compare(a.getKey(), b.getKey())
                : Integer.compare(b.getValue(), a.getValue()))
            .forEachOrdered(e -> number.put(e.getKey(), number.size()));
        final int[] labels = new int[roots.length];
        for (int i = 0; i < roots.length; i++)
        {
            labels[i] = roots[i] == NOISE ? NOISE : number.getOrDefault(roots[i], NOISE);
        }
        return labels;
    }
}
