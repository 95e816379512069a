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
 * <p>
 * When more than {@code maxCell} groups remain, the chain would be quadratic on one driver: the groups are first
 * split into cells by MLlib k-means on their centroids (cosine distance, k = 2 groups / maxCell, so a cell holds
 * about half of maxCell groups), and the chain runs per cell on the executors; clusters then never cross a cell,
 * an approximation that a k-means split makes rarely matter (a topic's questions share a centroid).
 *
 * @param minSimilarity    the cut, a mean cosine similarity in (0, 1).
 * @param leaderSimilarity the similarity that groups near-duplicates before, in (minSimilarity, 1].
 * @param minClusterSize   the smallest cluster kept, in distinct questions.
 * @param partitions       the partitions of the leader step.
 * @param maxCell          the most groups agglomerated in one chain before the k-means split.
 */
public record AverageLinkage(double minSimilarity, double leaderSimilarity, int minClusterSize, int partitions, int maxCell)
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
        if (maxCell < 2)
        {
            throw new IllegalArgumentException("--max-cell=" + maxCell + " (expected: >= 2)");
        }
    }

    /** The groups of one k-means cell, as they travel to an executor: group ids, sum vectors, sizes. */
    record Cell(int[] groups, double[][] sums, int[] sizes) implements java.io.Serializable
    {
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
        long computed = 0;
        final List<int[]> merges = new ArrayList<>();
        if (m <= maxCell)
        {
            final long[] count = new long[1];
            merges.addAll(chain(sums, sizes, minSimilarity, count));
            computed = count[0];
        }
        else
        {
            merges.addAll(perCell(spark, sums, sizes));
        }
        for (final int[] merge : merges)
        {
            sets.union(groups.get(merge[0])[0], groups.get(merge[1])[0]);
        }
        final int[] roots = new int[n];
        for (int i = 0; i < n; i++)
        {
            roots[i] = sets.find(i);
        }
        return new Clustering(Clustering.relabel(roots, minClusterSize), computed, n - m);
    }

    /**
     * The nearest-neighbour chain over some groups.
     *
     * @param sums   their sum vectors (changed: a merge adds into the survivor).
     * @param sizes  their sizes (changed likewise).
     * @param cut    the mean similarity below which nothing merges.
     * @param count  [0] gets the similarities computed added.
     * @return the merges, {a, b} indexes into {@code sums}, in order.
     */
    static List<int[]> chain(final double[][] sums, final int[] sizes, final double cut, final long[] count)
    {
        final int m = sums.length;
        final List<int[]> merges = new ArrayList<>();
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
            if (best < 0 || bestSim < cut)
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
                merges.add(new int[] {a, best});
                continue;
            }
            stack.push(best);
        }
        count[0] += computed;
        return merges;
    }

    /** The k-means split and one chain per cell on the executors; the merges come back as group ids. */
    private List<int[]> perCell(final SparkSession spark, final double[][] sums, final int[] sizes)
    {
        final int m = sums.length;
        final List<org.apache.spark.sql.Row> rows = new ArrayList<>(m);
        for (int g = 0; g < m; g++)
        {
            rows.add(org.apache.spark.sql.RowFactory.create(g, org.apache.spark.ml.linalg.Vectors.dense(sums[g].clone())));
        }
        final org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
            .add("g", org.apache.spark.sql.types.DataTypes.IntegerType)
            .add("features", org.apache.spark.ml.linalg.SQLDataTypes.VectorType());
        final org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> points = spark.createDataFrame(rows, schema)
            .repartition(partitions).cache();
        final int k = Math.max(2, (int)Math.ceil(2.0 * m / maxCell));
        final org.apache.spark.ml.clustering.KMeansModel model = new org.apache.spark.ml.clustering.KMeans()
            .setK(k).setSeed(1).setMaxIter(20).setDistanceMeasure("cosine").fit(points);
        final java.util.Map<Integer, List<Integer>> byCell = new java.util.TreeMap<>();
        for (final org.apache.spark.sql.Row r : model.transform(points).select("g", "prediction").collectAsList())
        {
            byCell.computeIfAbsent(r.getInt(1), c -> new ArrayList<>()).add(r.getInt(0));
        }
        points.unpersist();
        final List<Cell> cells = new ArrayList<>(byCell.size());
        for (final List<Integer> members : byCell.values())
        {
            final int[] ids = members.stream().mapToInt(Integer::intValue).toArray();
            final double[][] cellSums = new double[ids.length][];
            final int[] cellSizes = new int[ids.length];
            for (int i = 0; i < ids.length; i++)
            {
                cellSums[i] = sums[ids[i]];
                cellSizes[i] = sizes[ids[i]];
            }
            cells.add(new Cell(ids, cellSums, cellSizes));
        }
        final double cut = minSimilarity;
        final JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return jsc.parallelize(cells, Math.max(1, Math.min(cells.size(), partitions * 2)))
            .flatMap(cell ->
            {
                final List<int[]> local = chain(cell.sums(), cell.sizes(), cut, new long[1]);
                final List<int[]> global = new ArrayList<>(local.size());
                for (final int[] merge : local)
                {
                    global.add(new int[] {cell.groups()[merge[0]], cell.groups()[merge[1]]});
                }
                return global.iterator();
            })
            .collect();
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
