package ivbot.mining;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.levenshtein;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;

/**
 * The baseline: single-link clustering on normalised edit distance, {@code levenshtein(a, b) / max(len a, len b)}
 * (characters, Spark SQL's built-in {@code levenshtein}), linking two questions at or below {@code maxDistance};
 * the clusters are the connected components of the links, components under {@code minClusterSize} questions are
 * noise.
 * <p>
 * Blocking: only pairs that share a character bigram are compared (a self-join on the exploded bigrams, then
 * distinct pairs), and bigrams held by more than {@code maxBlock} questions (such as 什么, 可以) are skipped as
 * blocking keys; pairs whose lengths differ by more than {@code maxDistance} times the longer are dropped before
 * the distance. Two questions within a normalised distance of 0.5 of each other share a bigram unless they are
 * very short, so the blocking loses few of the links it is asked for. The components are computed on the driver
 * (union-find over the collected links).
 *
 * @param maxDistance    the largest normalised distance that links, in (0, 1).
 * @param maxBlock       the largest bigram block used as a key.
 * @param minClusterSize the smallest cluster kept, in distinct questions.
 */
public record LevenshteinClusterer(double maxDistance, int maxBlock, int minClusterSize)
{
    private static final UserDefinedFunction BIGRAMS = udf((UDF1<String, List<String>>)LevenshteinClusterer::bigrams,
        DataTypes.createArrayType(DataTypes.StringType));

    /** Checks the settings. */
    public LevenshteinClusterer
    {
        if (!(maxDistance > 0 && maxDistance < 1))
        {
            throw new IllegalArgumentException("--max-distance=" + maxDistance + " (expected: between 0 and 1)");
        }
        if (maxBlock < 2)
        {
            throw new IllegalArgumentException("--max-block=" + maxBlock + " (expected: >= 2)");
        }
        if (minClusterSize < 1)
        {
            throw new IllegalArgumentException("--min-cluster-size=" + minClusterSize + " (expected: > 0)");
        }
    }

    /**
     * @param questions the questions of {@link NotUnderstood#questions}.
     * @param n         their number.
     * @return the clustering.
     */
    public Clustering cluster(final Dataset<Row> questions, final int n)
    {
        final Dataset<Row> grams = questions
            .select(col(NotUnderstood.ID), col(NotUnderstood.TEXT), explode(BIGRAMS.apply(col(NotUnderstood.TEXT))).as("gram"));
        final Dataset<Row> keys = grams.groupBy(col("gram")).agg(count(lit(1)).as("block"))
            .filter(col("block").leq(maxBlock)).select(col("gram"));
        final Dataset<Row> blocked = grams.join(keys, "gram").cache();
        final Dataset<Row> a = blocked.select(col("gram"), col(NotUnderstood.ID).as("a"), col(NotUnderstood.TEXT).as("ta"));
        final Dataset<Row> b = blocked.select(col("gram").as("gram_b"), col(NotUnderstood.ID).as("b"), col(NotUnderstood.TEXT).as("tb"));
        final Column longer = greatest(length(col("ta")), length(col("tb")));
        final Dataset<Row> pairs = a.join(b, col("gram").equalTo(col("gram_b")).and(col("a").lt(col("b"))))
            .select(col("a"), col("b"), col("ta"), col("tb")).distinct()
            .filter(abs(length(col("ta")).minus(length(col("tb")))).leq(longer.multiply(maxDistance)))
            .withColumn("distance", levenshtein(col("ta"), col("tb")).divide(longer))
            .cache();
        final long candidates = pairs.count();
        final List<Row> links = pairs.filter(col("distance").leq(maxDistance)).select(col("a"), col("b")).collectAsList();
        pairs.unpersist();
        blocked.unpersist();
        final UnionFind sets = new UnionFind(n);
        for (final Row link : links)
        {
            sets.union(link.getInt(0), link.getInt(1));
        }
        final int[] roots = new int[n];
        for (int i = 0; i < n; i++)
        {
            roots[i] = sets.find(i);
        }
        return new Clustering(Clustering.relabel(roots, minClusterSize), candidates, links.size());
    }

    /**
     * @param text a normalized question.
     * @return its distinct character bigrams (code points), or the text itself when shorter than two.
     */
    static List<String> bigrams(final String text)
    {
        final int[] cps = text.codePoints().filter(c -> !Character.isWhitespace(c)).toArray();
        if (cps.length < 2)
        {
            return cps.length == 0 ? List.of() : List.of(new String(cps, 0, 1));
        }
        final Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i + 1 < cps.length; i++)
        {
            out.add(new String(cps, i, 2));
        }
        return new ArrayList<>(out);
    }
}
