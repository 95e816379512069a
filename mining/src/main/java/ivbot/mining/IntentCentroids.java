package ivbot.mining;

import ivbot.inference.IntentCatalog;
import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.model.Encoder;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The existing intents as points in the encoder's space: for each catalog intent the normalised mean of its
 * training questions' vectors. A cluster's nearest existing intent is the one whose centroid is most similar to the
 * cluster's. Immutable after construction.
 */
public final class IntentCentroids
{
    private final String[] ids;
    private final float[][] centroids;

    private IntentCentroids(final String[] ids, final float[][] centroids)
    {
        this.ids = ids;
        this.centroids = centroids;
    }

    /**
     * Embeds the training questions in Spark and averages them per intent.
     *
     * @param spark   the session.
     * @param catalog the label set (the serving one: the intents that exist).
     * @param train   a labelled TSV of {@code catalog} ({@code text<TAB>intent<TAB>audience}).
     * @param encoder the encoder.
     * @param audience the audience words taken out before embedding (as for the mined questions).
     * @return the centroids.
     * @throws java.io.IOException when the TSV cannot be read or names an intent not in the catalog.
     */
    public static IntentCentroids of(final SparkSession spark, final IntentCatalog catalog, final Path train,
        final Encoder encoder, final AudienceCues audience) throws java.io.IOException
    {
        final List<LabelledQuery> rows = LabelledQuery.readTsv(train, catalog);
        final List<Row> data = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++)
        {
            data.add(RowFactory.create(i, audience.mask(TextNormalizer.normalize(rows.get(i).text()))));
        }
        final StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
        final float[][] vectors = Embeddings.embed(spark.createDataFrame(data, schema).repartition(
            spark.sparkContext().defaultParallelism()), "id", "text", rows.size(), encoder);
        final Map<String, List<Integer>> byIntent = new LinkedHashMap<>();
        for (int i = 0; i < rows.size(); i++)
        {
            byIntent.computeIfAbsent(rows.get(i).intent().id(), k -> new ArrayList<>()).add(i);
        }
        final String[] ids = byIntent.keySet().toArray(new String[0]);
        final float[][] centroids = new float[ids.length][];
        for (int k = 0; k < ids.length; k++)
        {
            centroids[k] = Embeddings.centroid(vectors, byIntent.get(ids[k]).stream().mapToInt(Integer::intValue).toArray());
        }
        return new IntentCentroids(ids, centroids);
    }

    /**
     * @param centroid a unit vector.
     * @return the nearest intent id and its similarity.
     */
    public Map.Entry<String, Double> nearest(final float[] centroid)
    {
        int best = 0;
        float bestSim = -2;
        for (int k = 0; k < ids.length; k++)
        {
            final float sim = Embeddings.dot(centroid, centroids[k]);
            if (sim > bestSim)
            {
                bestSim = sim;
                best = k;
            }
        }
        return Map.entry(ids[best], (double)bestSim);
    }

    /**
     * @return the intents with a centroid.
     */
    public List<String> intents()
    {
        return List.of(ids);
    }
}
