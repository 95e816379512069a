package ivbot.mining;

import ivbot.inference.model.Encoder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One mining run: the not-understood questions of some turns, clustered by one method, each cluster described for
 * review (size, representatives, nearest existing intent, suggested name). Runs on the driver; the filtering,
 * de-duplication, embedding and pair scoring run in Spark.
 */
public final class Miner
{
    /** The clustering methods. */
    public enum Method
    {
        /** The baseline: normalised Levenshtein distance, single link. */
        LEVENSHTEIN,
        /** The encoder's vectors, agglomerative with average linkage on cosine similarity (the default). */
        ENCODER,
        /** The encoder's vectors, density-based (DBSCAN) on cosine similarity. */
        ENCODER_DBSCAN
    }

    /**
     * The settings of every method.
     *
     * @param levenshtein the baseline.
     * @param average     the encoder, agglomerative.
     * @param dbscan      the encoder, density-based.
     */
    public record Methods(LevenshteinClusterer levenshtein, AverageLinkage average, EncoderClusterer dbscan)
    {
    }

    /**
     * The result of a run.
     *
     * @param method     the method.
     * @param turns      the turns read.
     * @param questions  the distinct not-understood questions.
     * @param clustering their clustering.
     * @param clusters   the clusters described, largest first.
     * @param embedMs    the part of {@code clusterMs} spent embedding the questions (0 for the baseline), milliseconds.
     * @param clusterMs  the time to cluster (embedding included for the encoder), milliseconds.
     * @param totalMs    the whole run, from reading the input to the descriptions, milliseconds.
     */
    public record Result(Method method, long turns, List<Question> questions, Clustering clustering, List<MinedCluster> clusters,
        long embedMs, long clusterMs, long totalMs)
    {
    }

    private final SparkSession spark;
    private final NotUnderstood filter;
    private final IntentCentroids centroids;
    private final Encoder encoder;
    private final AudienceCues audience;

    /**
     * @param spark     the session.
     * @param filter    what counts as not understood.
     * @param centroids the existing intents, for the nearest one.
     * @param encoder   the encoder the centroids were made with.
     * @param audience  the audience words taken out before embedding (as for the centroids).
     */
    public Miner(final SparkSession spark, final NotUnderstood filter, final IntentCentroids centroids, final Encoder encoder,
        final AudienceCues audience)
    {
        this.spark = spark;
        this.filter = filter;
        this.centroids = centroids;
        this.encoder = encoder;
        this.audience = audience;
    }

    /**
     * @param turns     turns of {@link TurnInput#SCHEMA}.
     * @param method    the method.
     * @param settings  the methods' settings.
     * @return the result.
     */
    public Result mine(final Dataset<Row> turns, final Method method, final Methods settings)
    {
        final long start = System.nanoTime();
        final Dataset<Row> cachedTurns = turns.cache();
        final long turnCount = cachedTurns.count();
        final Dataset<Row> questionRows = filter.questions(cachedTurns)
            .repartition(spark.sparkContext().defaultParallelism()).cache();
        final List<Question> questions = new ArrayList<>();
        for (final Row r : questionRows.collectAsList())
        {
            questions.add(new Question(r.getInt(0), r.getString(1), r.getString(2), r.getLong(3), r.getString(4)));
        }
        questions.sort(Comparator.comparingInt(Question::id));
        final int n = questions.size();
        final long clusterStart = System.nanoTime();
        final Clustering clustering;
        float[][] vectors = null;
        long embedMs = 0;
        if (n == 0)
        {
            clustering = new Clustering(new int[0], 0, 0);
        }
        else if (method == Method.LEVENSHTEIN)
        {
            clustering = settings.levenshtein().cluster(questionRows, n);
        }
        else
        {
            vectors = Embeddings.embed(questionRows.withColumn("masked", audience.column(questionRows.col(NotUnderstood.TEXT))),
                NotUnderstood.ID, "masked", n, encoder);
            embedMs = (System.nanoTime() - clusterStart) / 1_000_000;
            if (method == Method.ENCODER)
            {
                clustering = settings.average().cluster(spark, vectors);
            }
            else
            {
                final long[] weights = questions.stream().mapToLong(Question::turns).toArray();
                clustering = settings.dbscan().cluster(spark, questionRows, vectors, weights);
            }
        }
        final long clusterMs = (System.nanoTime() - clusterStart) / 1_000_000;
        final List<MinedCluster> described = describe(questions, clustering, vectors);
        questionRows.unpersist();
        cachedTurns.unpersist();
        return new Result(method, turnCount, questions, clustering, described, embedMs, clusterMs,
            (System.nanoTime() - start) / 1_000_000);
    }

    private List<MinedCluster> describe(final List<Question> questions, final Clustering clustering, final float[][] known)
    {
        final int k = clustering.clusters();
        final List<List<Question>> members = new ArrayList<>();
        for (int c = 0; c < k; c++)
        {
            members.add(new ArrayList<>());
        }
        for (final Question q : questions)
        {
            final int c = clustering.labels()[q.id()];
            if (c != Clustering.NOISE)
            {
                members.get(c).add(q);
            }
        }
        final float[][] vectors = known != null ? known : embedClustered(questions, clustering);
        final SuggestedNames names = new SuggestedNames(questions);
        final List<MinedCluster> out = new ArrayList<>(k);
        for (int c = 0; c < k; c++)
        {
            final List<Question> qs = members.get(c);
            final int[] ids = qs.stream().mapToInt(Question::id).toArray();
            final float[] centre = Embeddings.centroid(vectors, ids);
            final List<Question> byCentre = new ArrayList<>(qs);
            byCentre.sort(Comparator.comparingDouble((Question q) -> -Embeddings.dot(vectors[q.id()], centre))
                .thenComparing(Question::text));
            final List<String> representatives = byCentre.stream().limit(5).map(Question::raw).toList();
            qs.sort(Comparator.comparingLong(Question::turns).reversed().thenComparing(Question::text));
            final Map.Entry<String, Double> nearest = centroids.nearest(centre);
            final String[] name = names.name(c, qs);
            out.add(new MinedCluster(c, qs.stream().mapToInt(Question::id).toArray(), qs.stream().mapToLong(Question::turns).sum(),
                representatives, nearest.getKey(), nearest.getValue(), name[0], name[1]));
        }
        return out;
    }

    /** The baseline has no vectors: the clustered questions are embedded (in Spark) for the descriptions only. */
    private float[][] embedClustered(final List<Question> questions, final Clustering clustering)
    {
        final List<Row> rows = new ArrayList<>();
        final List<Integer> original = new ArrayList<>();
        for (final Question q : questions)
        {
            if (clustering.labels()[q.id()] != Clustering.NOISE)
            {
                rows.add(RowFactory.create(original.size(), audience.mask(q.text())));
                original.add(q.id());
            }
        }
        final float[][] vectors = new float[questions.size()][];
        if (rows.isEmpty())
        {
            return vectors;
        }
        final StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
        final float[][] embedded = Embeddings.embed(spark.createDataFrame(rows, schema)
            .repartition(spark.sparkContext().defaultParallelism()), "id", "text", rows.size(), encoder);
        for (int i = 0; i < embedded.length; i++)
        {
            vectors[original.get(i)] = embedded[i];
        }
        return vectors;
    }
}
