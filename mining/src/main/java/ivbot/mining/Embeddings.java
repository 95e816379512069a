package ivbot.mining;

import ivbot.inference.model.Embedder;
import ivbot.inference.model.Encoder;
import ivbot.inference.model.ModelPackage;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * Embeds questions with the model's own encoder (bge-small-zh, the L2-normalised CLS vector of {@link Embedder})
 * inside Spark: one ONNX Runtime session per partition ({@code mapPartitions}), opened on the executor from the
 * encoder carrier jar on its classpath, one intra-op thread (Spark runs one task per core), closed at the
 * partition's end. The vectors come back to the driver indexed by question id.
 * <p>
 * One question per ONNX Runtime call: the int8 encoder quantises its activations per call (dynamic
 * quantisation, one scale over the whole batch tensor), so in a batch a question's vector moves with the other
 * questions Spark happened to put beside it; near the clustering cut that changed which clusters merged from one run
 * to the next. Alone, a question always gets the same vector.
 */
public final class Embeddings
{
    /** Texts per ONNX Runtime call: one, so a vector does not depend on its batch (see above). */
    static final int BATCH = 1;
    /** Token limit: questions are short; longer ones are cut. */
    static final int MAX_TOKENS = 64;

    private Embeddings()
    {
    }

    /** One embedded question, as it travels from an executor to the driver. */
    record Embedded(int id, float[] vector) implements Serializable
    {
    }

    /**
     * @param rows    rows with an int column {@code idColumn} (dense, 0..n-1) and a text column.
     * @param idColumn  the id column.
     * @param textColumn the normalized text column.
     * @param n       the number of rows (the ids' bound).
     * @param encoder the encoder.
     * @return {@code vectors[id]}, L2-normalised.
     */
    public static float[][] embed(final Dataset<Row> rows, final String idColumn, final String textColumn, final int n,
        final Encoder encoder)
    {
        final List<Embedded> embedded = rows.select(col(idColumn), col(textColumn)).javaRDD()
            .mapPartitions(partition(encoder)).collect();
        final float[][] vectors = new float[n][];
        for (final Embedded e : embedded)
        {
            vectors[e.id()] = e.vector();
        }
        for (int i = 0; i < n; i++)
        {
            if (vectors[i] == null)
            {
                throw new IllegalStateException("question id " + i + " was not embedded (ids must be dense 0.." + (n - 1) + ")");
            }
        }
        return vectors;
    }

    private static FlatMapFunction<Iterator<Row>, Embedded> partition(final Encoder encoder)
    {
        return rows ->
        {
            final List<Embedded> out = new ArrayList<>();
            if (!rows.hasNext())
            {
                return out.iterator();
            }
            try (Embedder embedder = ModelPackage.openEmbedder(encoder, "cpu", 1, BATCH, MAX_TOKENS))
            {
                final List<Integer> ids = new ArrayList<>(BATCH);
                final List<String> texts = new ArrayList<>(BATCH);
                while (rows.hasNext())
                {
                    final Row row = rows.next();
                    ids.add(row.getInt(0));
                    texts.add(row.getString(1));
                    if (texts.size() == BATCH || !rows.hasNext())
                    {
                        final float[][] vectors = embedder.embed(texts);
                        for (int i = 0; i < vectors.length; i++)
                        {
                            out.add(new Embedded(ids.get(i), vectors[i]));
                        }
                        ids.clear();
                        texts.clear();
                    }
                }
            }
            return out.iterator();
        };
    }

    /**
     * @param a a unit vector.
     * @param b a unit vector of the same width.
     * @return their cosine similarity (the dot product).
     */
    public static float dot(final float[] a, final float[] b)
    {
        float sum = 0;
        for (int i = 0; i < a.length; i++)
        {
            sum += a[i] * b[i];
        }
        return sum;
    }

    /**
     * @param vectors unit vectors.
     * @param members the indexes to average.
     * @return their mean, L2-normalised.
     */
    public static float[] centroid(final float[][] vectors, final int[] members)
    {
        final float[] c = new float[vectors[members[0]].length];
        for (final int m : members)
        {
            for (int i = 0; i < c.length; i++)
            {
                c[i] += vectors[m][i];
            }
        }
        double norm = 0;
        for (final float v : c)
        {
            norm += v * v;
        }
        final float scale = norm > 0 ? (float)(1 / Math.sqrt(norm)) : 0;
        for (int i = 0; i < c.length; i++)
        {
            c[i] *= scale;
        }
        return c;
    }
}
