package ivbot.mining;

import ivbot.inference.model.Encoder;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Density-based clustering (DBSCAN) of the questions' encoder vectors on cosine similarity.
 * <ol>
 *   <li>Embed every question with the model's encoder inside Spark ({@link Embeddings}: one ONNX Runtime
 *       session per partition).</li>
 *   <li>Neighbourhoods in Spark: the unit vectors are broadcast, each partition takes a range of questions and
 *       finds, for each, every other question with cosine similarity at least {@code minSimilarity} (exact, n^2 dot
 *       products over the cluster's cores).</li>
 *   <li>DBSCAN on the driver: a question is a core when the turns of it and its neighbours add up to at least
 *       {@code minPoints}; cores that are neighbours share a cluster; a non-core question with a core neighbour
 *       joins the cluster of its most similar core neighbour; the rest is noise. Clusters under
 *       {@code minClusterSize} distinct questions are noise as well.</li>
 * </ol>
 *
 * @param encoder        the encoder (bge-small-zh, int8 or fp32).
 * @param minSimilarity  the neighbourhood radius as a cosine similarity (DBSCAN's eps is
 *                       {@code sqrt(2 - 2 minSimilarity)} in Euclidean distance of unit vectors).
 * @param minPoints      turns within a neighbourhood (the question's own included) that make a core.
 * @param minClusterSize the smallest cluster kept, in distinct questions.
 * @param partitions     the partitions the neighbourhood search is split into.
 */
public record EncoderClusterer(Encoder encoder, double minSimilarity, int minPoints, int minClusterSize, int partitions)
{
    /** Checks the settings. */
    public EncoderClusterer
    {
        if (!(minSimilarity > 0 && minSimilarity < 1))
        {
            throw new IllegalArgumentException("--min-similarity=" + minSimilarity + " (expected: between 0 and 1)");
        }
        if (minPoints < 1)
        {
            throw new IllegalArgumentException("--min-points=" + minPoints + " (expected: > 0)");
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

    /** The neighbours of one question, most similar first. */
    record Neighbours(int id, int[] ids, float[] similarities) implements Serializable
    {
    }

    /**
     * @param spark     the session.
     * @param questions the questions of {@link NotUnderstood#questions}.
     * @param vectors   their unit vectors by id (from {@link Embeddings#embed}).
     * @param turns     the turns of each question by id (its weight).
     * @return the clustering.
     */
    public Clustering cluster(final SparkSession spark, final Dataset<Row> questions, final float[][] vectors, final long[] turns)
    {
        final int n = vectors.length;
        final List<Neighbours> neighbourhoods = neighbourhoods(spark, vectors);
        final Neighbours[] byId = new Neighbours[n];
        long edges = 0;
        for (final Neighbours nb : neighbourhoods)
        {
            byId[nb.id()] = nb;
            edges += nb.ids().length;
        }
        final boolean[] core = new boolean[n];
        for (int i = 0; i < n; i++)
        {
            long density = turns[i];
            for (final int j : byId[i].ids())
            {
                density += turns[j];
            }
            core[i] = density >= minPoints;
        }
        final UnionFind sets = new UnionFind(n);
        for (int i = 0; i < n; i++)
        {
            if (core[i])
            {
                for (final int j : byId[i].ids())
                {
                    if (core[j])
                    {
                        sets.union(i, j);
                    }
                }
            }
        }
        final int[] roots = new int[n];
        for (int i = 0; i < n; i++)
        {
            roots[i] = Clustering.NOISE;
            if (core[i])
            {
                roots[i] = sets.find(i);
                continue;
            }
            for (final int j : byId[i].ids())
            {
                if (core[j])
                {
                    roots[i] = sets.find(j);
                    break;
                }
            }
        }
        return new Clustering(Clustering.relabel(roots, minClusterSize), (long)n * (n - 1) / 2, edges / 2);
    }

    private List<Neighbours> neighbourhoods(final SparkSession spark, final float[][] vectors)
    {
        final int n = vectors.length;
        final int dim = n == 0 ? 0 : vectors[0].length;
        final float[] flat = new float[n * dim];
        for (int i = 0; i < n; i++)
        {
            System.arraycopy(vectors[i], 0, flat, i * dim, dim);
        }
        final JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        final Broadcast<float[]> matrix = jsc.broadcast(flat);
        final List<int[]> ranges = new ArrayList<>();
        final int slices = Math.max(1, Math.min(n, partitions * 4));
        for (int s = 0; s < slices; s++)
        {
            ranges.add(new int[] {(int)((long)n * s / slices), (int)((long)n * (s + 1) / slices)});
        }
        final float threshold = (float)minSimilarity;
        try
        {
            return jsc.parallelize(ranges, Math.min(partitions, ranges.size()))
                .flatMap(range -> scan(matrix.value(), dim, range[0], range[1], threshold).iterator())
                .collect();
        }
        finally
        {
            matrix.destroy();
        }
    }

    static List<Neighbours> scan(final float[] m, final int dim, final int from, final int to, final float threshold)
    {
        final int n = dim == 0 ? 0 : m.length / dim;
        final List<Neighbours> out = new ArrayList<>(to - from);
        final int[] ids = new int[n];
        final float[] sims = new float[n];
        for (int i = from; i < to; i++)
        {
            int found = 0;
            final int oi = i * dim;
            for (int j = 0; j < n; j++)
            {
                if (j == i)
                {
                    continue;
                }
                final int oj = j * dim;
                float dot = 0;
                for (int k = 0; k < dim; k++)
                {
                    dot += m[oi + k] * m[oj + k];
                }
                if (dot >= threshold)
                {
                    ids[found] = j;
                    sims[found] = dot;
                    found++;
                }
            }
            out.add(sorted(i, Arrays.copyOf(ids, found), Arrays.copyOf(sims, found)));
        }
        return out;
    }

    private static Neighbours sorted(final int id, final int[] ids, final float[] sims)
    {
        final Integer[] order = new Integer[ids.length];
        for (int k = 0; k < order.length; k++)
        {
            order[k] = k;
        }
        Arrays.sort(order, (a, b) -> Float.compare(sims[b], sims[a]));
        final int[] sortedIds = new int[ids.length];
        final float[] sortedSims = new float[ids.length];
        for (int k = 0; k < order.length; k++)
        {
            sortedIds[k] = ids[order[k]];
            sortedSims[k] = sims[order[k]];
        }
        return new Neighbours(id, sortedIds, sortedSims);
    }
}
