package ivbot.mining;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

@Timeout(60)
class AverageLinkageTest
{
    @Test
    void shouldCutWhereTheGreedyAverageLinkageCuts()
    {
        // three noisy directions in 16 dimensions plus scattered points: the chain must find the greedy algorithm's cut
        final float[][] vectors = directions(new Random(3));
        for (final double cut : new double[] {0.2, 0.35, 0.5, 0.7})
        {
            final int[] chain = new AverageLinkage(cut, 1.0, 1, 2, 1000).cluster(SharedSpark.get(), vectors).labels();
            assertArrayEquals(canonical(greedy(vectors, cut)), canonical(chain), "cut " + cut);
        }
        final int[] three = new AverageLinkage(0.35, 1.0, 10, 2, 1000).cluster(SharedSpark.get(), vectors).labels();
        assertEquals(3, Arrays.stream(three).max().getAsInt() + 1);
        for (int i = 0; i < 36; i++)
        {
            assertEquals(three[i % 3], three[i], "point " + i);
        }
    }

    @Test
    void shouldKeepClustersPureWhenKMeansSplitsTheGroupsIntoCells()
    {
        final float[][] vectors = directions(new Random(5));
        // 45 groups, at most 10 per chain: k-means makes 9 cells, one chain each on the executors
        final int[] labels = new AverageLinkage(0.35, 1.0, 2, 2, 10).cluster(SharedSpark.get(), vectors).labels();
        final java.util.Map<Integer, Integer> direction = new java.util.HashMap<>();
        int clustered = 0;
        for (int i = 0; i < 36; i++)
        {
            if (labels[i] != Clustering.NOISE)
            {
                clustered++;
                final Integer before = direction.putIfAbsent(labels[i], i % 3);
                assertEquals(before == null ? i % 3 : before, i % 3, "cluster " + labels[i] + " mixes directions");
            }
        }
        assertEquals(3, new java.util.HashSet<>(direction.values()).size());
        org.junit.jupiter.api.Assertions.assertTrue(clustered >= 30, "clustered " + clustered + " of 36");
    }

    private static float[][] directions(final Random random)
    {
        final float[][] vectors = new float[45][];
        for (int i = 0; i < vectors.length; i++)
        {
            final float[] v = new float[16];
            if (i < 36)
            {
                v[i % 3] = 1;
            }
            for (int k = 0; k < v.length; k++)
            {
                v[k] += (float)(random.nextGaussian() * (i < 36 ? 0.2 : 1.0));
            }
            vectors[i] = unit(v);
        }
        return vectors;
    }

    @Test
    void shouldRejectALeaderSimilarityBelowTheCut()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new AverageLinkage(0.5, 0.4, 3, 2, 1000));
        assertEquals("--leader-similarity=0.4 (expected: between --min-similarity and 1)", ex.getMessage());
    }

    /** The textbook algorithm: merge the most similar pair (mean over all cross pairs) while it is at least the cut. */
    private static int[] greedy(final float[][] v, final double cut)
    {
        final int n = v.length;
        final int[] cluster = new int[n];
        for (int i = 0; i < n; i++)
        {
            cluster[i] = i;
        }
        while (true)
        {
            double best = Double.NEGATIVE_INFINITY;
            int ba = -1;
            int bb = -1;
            for (int a = 0; a < n; a++)
            {
                for (int b = a + 1; b < n; b++)
                {
                    if (cluster[a] != a || cluster[b] != b)
                    {
                        continue;
                    }
                    double sum = 0;
                    int pairs = 0;
                    for (int i = 0; i < n; i++)
                    {
                        for (int j = 0; j < n; j++)
                        {
                            if (cluster[i] == a && cluster[j] == b)
                            {
                                sum += Embeddings.dot(v[i], v[j]);
                                pairs++;
                            }
                        }
                    }
                    if (sum / pairs > best)
                    {
                        best = sum / pairs;
                        ba = a;
                        bb = b;
                    }
                }
            }
            if (ba < 0 || best < cut)
            {
                return cluster;
            }
            for (int i = 0; i < n; i++)
            {
                if (cluster[i] == bb)
                {
                    cluster[i] = ba;
                }
            }
        }
    }

    /** Labels renumbered by first appearance, so two partitions compare equal whatever their numbers. */
    private static int[] canonical(final int[] labels)
    {
        final int[] out = new int[labels.length];
        final java.util.Map<Integer, Integer> seen = new java.util.HashMap<>();
        for (int i = 0; i < labels.length; i++)
        {
            out[i] = seen.computeIfAbsent(labels[i], k -> seen.size());
        }
        return out;
    }

    private static float[] unit(final float[] v)
    {
        double norm = 0;
        for (final float x : v)
        {
            norm += x * x;
        }
        for (int k = 0; k < v.length; k++)
        {
            v[k] /= (float)Math.sqrt(norm);
        }
        return v;
    }
}
