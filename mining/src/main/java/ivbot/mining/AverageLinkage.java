package ivbot.mining;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Agglomerative clustering of unit vectors with average linkage on cosine similarity, cut at {@code minSimilarity}:
 * two clusters merge while the mean similarity over all pairs of their questions is at least the cut.
 * <p>
 * For unit vectors that mean is exact from the clusters' sum vectors, {@code (sumA . sumB) / (|A| |B|)}, so each
 * cluster is one vector and the nearest-neighbour chain algorithm (average linkage is reducible) finds the same
 * merges as the greedy one in O(n^2 d) time and O(n d) memory. A cluster whose most similar neighbour is below the
 * cut is final (by reducibility no later merge brings one closer) and leaves the active set.
 * <p>
 * Before it, Spark reduces n: each partition takes a range of questions and groups them greedily around leaders
 * (a question joins the first leader of its range with similarity at least {@code leaderSimilarity}, else leads),
 * so near-duplicates enter the driver's agglomeration as one weighted cluster.
 *
 * @param minSimilarity    the cut, a mean cosine similarity in (0, 1).
 * @param leaderSimilarity the similarity that groups near-duplicates before, in (minSimilarity, 1].
 * @param minClusterSize   the smallest cluster kept, in distinct questions.
 * @param partitions       the partitions of the leader step.
 */
public record AverageLinkage(double minSimilarity, double leaderSimilarity, int minClusterSize, int partitions)
{
    /** Checks the settings. */
    public AverageLinkage
    {
        if (!(minSimilarity > 0 && minSimilarity < 1))
        {
            throw new IllegalArgumentException("--min-similarity=" + minSimilarity + " (expected: between 0 and 1)");
        }
        if (!(leaderSimilarity >= minSimilarity && leaderSimilarity <= 1))
        {
            throw new IllegalArgumentException("--leader-similarity=" + leaderSimilarity + " (expected: between --min-similarity and 1)");
        }
        if (minClusterSize < 1)
        {
            throw new IllegalArgumentException("--min-cluster-size=" + minClusterSize + " (expected: > 0)");
        }
        if (partitions < 1)
        {
            throw new IllegalArgumentException("--partitions=" + partitions + " (expected: > 0)");
        }
    }

    /**
     * @param spark   the session (the leader step).
     * @param vectors unit vectors by question id.
     * @return the clustering; {@code candidatePairs} counts the similarities the chain computed.
     */
    public Clustering cluster(final SparkSession spark, final float[][] vectors)
    {
        final int n = vectors.length;
        final List<int[]> groups = leaders(spark, vectors);
        final int m = groups.size();
        final int dim = vectors[0].length;
        final double[][] sums = new double[m][dim];
        final int[] sizes = new int[m];
        final UnionFind sets = new UnionFind(n);
        for (int g = 0; g < m; g++)
        {
            final int[] members = groups.get(g);
            sizes[g] = members.length;
            for (final int id : members)
            {
                sets.union(members[0], id);
                final float[] v = vectors[id];
                for (int k = 0; k < dim; k++)
                {
                    sums[g][k] += v[k];
                }
            }
        }
        final long computed = chain(sums, sizes, groups, sets);
        final int[] roots = new int[n];
        for (int i = 0; i < n; i++)
        {
            roots[i] = sets.find(i);
        }
        return new Clustering(Clustering.relabel(roots, minClusterSize), computed, n - m);
    }

    /** The nearest-neighbour chain over the groups; merges are recorded in {@code sets}. */
    private long chain(final double[][] sums, final int[] sizes, final List<int[]> groups, final UnionFind sets)
    {
        final int m = sums.length;
        final boolean[] active = new boolean[m];
        int remaining = m;
        java.util.Arrays.fill(active, true);
        final Deque<Integer> stack = new ArrayDeque<>();
        long computed = 0;
        int next = 0;
        while (remaining > 0)
        {
            if (stack.isEmpty())
            {
                while (!active[next])
                {
                    next++;
                }
                stack.push(next);
            }
            final int a = stack.peek();
            final Integer below = stack.size() >= 2 ? secondOf(stack) : null;
            int best = -1;
            double bestSim = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < m; c++)
            {
                if (c == a || !active[c])
                {
                    continue;
                }
                final double sim = dot(sums[a], sums[c]) / ((double)sizes[a] * sizes[c]);
                computed++;
                if (sim > bestSim || sim == bestSim && below != null && c == below)
                {
                    bestSim = sim;
                    best = c;
                }
            }
            if (best < 0 || bestSim < minSimilarity)
            {
                // final: nothing will come closer than this again
                active[a] = false;
                remaining--;
                stack.pop();
                continue;
            }
            if (below != null && best == below)
            {
                stack.pop();
                stack.pop();
                for (int k = 0; k < sums[a].length; k++)
                {
                    sums[a][k] += sums[best][k];
                }
                sizes[a] += sizes[best];
                active[best] = false;
                remaining--;
                sets.union(groups.get(a)[0], groups.get(best)[0]);
                continue;
            }
            stack.push(best);
        }
        return computed;
    }

    private static int secondOf(final Deque<Integer> stack)
    {
        final var it = stack.iterator();
        it.next();
        return it.next();
    }

    private static double dot(final double[] a, final double[] b)
    {
        double sum = 0;
        for (int k = 0; k < a.length; k++)
        {
            sum += a[k] * b[k];
        }
        return sum;
    }

    /** The leader step, in Spark: groups of question ids, each a leader and its near-duplicates. */
    private List<int[]> leaders(final SparkSession spark, final float[][] vectors)
    {
        final int n = vectors.length;
        final int dim = vectors[0].length;
        final float[] flat = new float[n * dim];
        for (int i = 0; i < n; i++)
        {
            System.arraycopy(vectors[i], 0, flat, i * dim, dim);
        }
        final JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        final Broadcast<float[]> matrix = jsc.broadcast(flat);
        final int slices = Math.max(1, Math.min(n, partitions));
        final List<int[]> ranges = new ArrayList<>();
        for (int s = 0; s < slices; s++)
        {
            ranges.add(new int[] {(int)((long)n * s / slices), (int)((long)n * (s + 1) / slices)});
        }
        final float threshold = (float)leaderSimilarity;
        try
        {
            return jsc.parallelize(ranges, slices)
                .flatMap(range -> group(matrix.value(), dim, range[0], range[1], threshold).iterator())
                .collect();
        }
        finally
        {
            matrix.destroy();
        }
    }

    static List<int[]> group(final float[] m, final int dim, final int from, final int to, final float threshold)
    {
        final List<Integer> leaders = new ArrayList<>();
        final List<List<Integer>> members = new ArrayList<>();
        for (int i = from; i < to; i++)
        {
            int joined = -1;
            for (int l = 0; l < leaders.size() && joined < 0; l++)
            {
                final int oi = i * dim;
                final int ol = leaders.get(l) * dim;
                float dot = 0;
                for (int k = 0; k < dim; k++)
                {
                    dot += m[oi + k] * m[ol + k];
                }
                if (dot >= threshold)
                {
                    joined = l;
                }
            }
            if (joined < 0)
            {
                leaders.add(i);
                members.add(new ArrayList<>(List.of(i)));
            }
            else
            {
                members.get(joined).add(i);
            }
        }
        final List<int[]> out = new ArrayList<>(members.size());
        for (final List<Integer> g : members)
        {
            out.add(g.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }
}
