package ivbot.mining;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How well a clustering matches true intents, over the mined questions that have a true label.
 *
 * @param recovered  planted questions in a cluster whose majority label is their own, over the planted questions
 *                   sent (those the filter let through and those it did not).
 * @param purity     over the clustered labelled questions: the share in their cluster's majority label.
 * @param ari        adjusted Rand index against the true labels; every noise question counts as a cluster of its own.
 * @param clusters   the clusters.
 * @param labelled   the labelled mined questions scored.
 */
public record ClusterScores(double recovered, double purity, double ari, int clusters, int labelled)
{
    /**
     * @param questions    the mined questions (label empty where unknown).
     * @param labels       their clusters by id, {@link Clustering#NOISE} for none.
     * @param planted      the planted intents.
     * @param plantedSent  the distinct planted questions sent.
     * @return the scores.
     */
    public static ClusterScores of(final List<Question> questions, final int[] labels, final Set<String> planted,
        final int plantedSent)
    {
        final Map<Integer, Map<String, Integer>> table = new HashMap<>();
        int labelled = 0;
        int nextSingleton = -2;
        final int[] clusterOf = new int[questions.size()];
        for (final Question q : questions)
        {
            if (q.label().isEmpty())
            {
                continue;
            }
            labelled++;
            final int c = labels[q.id()] == Clustering.NOISE ? nextSingleton-- : labels[q.id()];
            clusterOf[q.id()] = c;
            table.computeIfAbsent(c, k -> new HashMap<>()).merge(q.label(), 1, Integer::sum);
        }
        final Map<Integer, String> majority = new HashMap<>();
        int pure = 0;
        int clustered = 0;
        for (final Map.Entry<Integer, Map<String, Integer>> e : table.entrySet())
        {
            final Map.Entry<String, Integer> top = e.getValue().entrySet().stream()
                .max((a, b) -> a.getValue().equals(b.getValue()) ? b.getKey().compareTo(a.getKey())
                    : Integer.compare(a.getValue(), b.getValue())).orElseThrow();
            majority.put(e.getKey(), top.getKey());
            if (e.getKey() >= 0)
            {
                pure += top.getValue();
                clustered += e.getValue().values().stream().mapToInt(Integer::intValue).sum();
            }
        }
        int recovered = 0;
        for (final Question q : questions)
        {
            if (!q.label().isEmpty() && planted.contains(q.label()) && labels[q.id()] != Clustering.NOISE
                && q.label().equals(majority.get(clusterOf[q.id()])))
            {
                recovered++;
            }
        }
        int clusters = 0;
        for (final int l : labels)
        {
            clusters = Math.max(clusters, l + 1);
        }
        return new ClusterScores(plantedSent == 0 ? 0 : recovered / (double)plantedSent,
            clustered == 0 ? 0 : pure / (double)clustered, ari(table, labelled), clusters, labelled);
    }

    /** Hubert and Arabie's adjusted Rand index from the contingency table (cluster -> label -> count). */
    static double ari(final Map<Integer, Map<String, Integer>> table, final int n)
    {
        double sumCells = 0;
        double sumRows = 0;
        final Map<String, Integer> columns = new HashMap<>();
        for (final Map<String, Integer> row : table.values())
        {
            int rowTotal = 0;
            for (final Map.Entry<String, Integer> cell : row.entrySet())
            {
                sumCells += pairs(cell.getValue());
                rowTotal += cell.getValue();
                columns.merge(cell.getKey(), cell.getValue(), Integer::sum);
            }
            sumRows += pairs(rowTotal);
        }
        double sumColumns = 0;
        for (final int c : columns.values())
        {
            sumColumns += pairs(c);
        }
        final double expected = sumRows * sumColumns / pairs(n);
        final double max = (sumRows + sumColumns) / 2;
        return max == expected ? 1.0 : (sumCells - expected) / (max - expected);
    }

    private static double pairs(final long k)
    {
        return k * (k - 1) / 2.0;
    }

    @Override
    public String toString()
    {
        return String.format("recovered=%.3f purity=%.3f ari=%.3f clusters=%d labelled=%d", recovered, purity, ari, clusters,
            labelled);
    }
}
