package ivbot.inference.model;

import ai.onnxruntime.OrtException;
import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.LabelledQuery;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The training questions of a model package as sentence vectors, for "the nearest training questions" of an
 * explanation: the encoder's L2-normalised CLS vectors ({@link Embedder}, the vectors {@code ivbot train}
 * trains its head on), quantised to int8 with one scale per row to stay small (2,294 questions of 512
 * dimensions: 1.2 MB). Two files in the package folder:
 * <pre>
 * index.bin, little-endian:
 *   +--------+---------+------+-----+--------+-------------+--------------------+----------------------+
 *   | "IVIX" | version | rows | dim | idLen  | encoder id  | scale float32[rows]| vector int8[rows*dim]|
 *   +--------+---------+------+-----+--------+-------------+--------------------+----------------------+
 *     4 bytes  int32 1   int32  int32  int32    UTF-8        max |v| / 127 a row   row-major; v = q * scale
 *
 * index.tsv, UTF-8: one row a line, in index.bin's order, no header:
 *   text&lt;TAB&gt;intent id
 * </pre>
 * The encoder id ({@link Encoder#id()}) names the encoder a query must be embedded with to be compared.
 * <p>
 * Immutable once made; {@link #nearest} may be called from any number of threads.
 */
public final class QuestionIndex
{
    /** The vectors file in a package. */
    public static final String VECTORS = "index.bin";
    /** The texts file in a package. */
    public static final String TEXTS = "index.tsv";

    private static final int MAGIC = 0x58495649; // "IVIX" little-endian
    private static final int VERSION = 1;
    private static final int MAX_ENCODER_ID_BYTES = 256;

    private final String encoderId;
    private final int dimension;
    private final String[] texts;
    private final String[] intents;
    private final float[] scales;
    private final byte[] vectors;

    private QuestionIndex(final String encoderId, final int dimension, final String[] texts, final String[] intents,
        final float[] scales, final byte[] vectors)
    {
        this.encoderId = encoderId;
        this.dimension = dimension;
        this.texts = texts;
        this.intents = intents;
        this.scales = scales;
        this.vectors = vectors;
    }

    /**
     * One training question near a query.
     *
     * @param text       the question as written in the training data.
     * @param intent     its intent id.
     * @param similarity the cosine of the two vectors, in [-1, 1] give or take the quantisation.
     */
    public record Neighbour(String text, String intent, float similarity)
    {
    }

    /**
     * Quantises vectors into an index.
     *
     * @param encoderId the encoder that made the vectors.
     * @param rows      the questions, in the vectors' order.
     * @param vectors   one L2-normalised vector per question, all of one length.
     * @return the index.
     */
    public static QuestionIndex of(final String encoderId, final List<LabelledQuery> rows, final float[][] vectors)
    {
        if (rows.size() != vectors.length || rows.isEmpty())
        {
            throw new IllegalArgumentException("rows.size()=" + rows.size() + ", vectors.length=" + vectors.length +
                " (expected: equal and > 0)");
        }
        final int dim = vectors[0].length;
        final String[] texts = new String[rows.size()];
        final String[] intents = new String[rows.size()];
        final float[] scales = new float[rows.size()];
        final byte[] quantised = new byte[rows.size() * dim];
        for (int row = 0; row < texts.length; row++)
        {
            final float[] v = vectors[row];
            if (v.length != dim)
            {
                throw new IllegalArgumentException("vectors[" + row + "].length=" + v.length + " (expected: " + dim + ")");
            }
            // a tab or line break in a question would split its line in index.tsv
            texts[row] = rows.get(row).text().replaceAll("[\\t\\r\\n]", " ");
            intents[row] = rows.get(row).intent().id();
            float max = 0f;
            for (final float x : v)
            {
                max = Math.max(max, Math.abs(x));
            }
            final float scale = max == 0f ? 1f : max / 127f;
            scales[row] = scale;
            for (int i = 0; i < dim; i++)
            {
                quantised[row * dim + i] = (byte)Math.round(v[i] / scale);
            }
        }
        return new QuestionIndex(encoderId, dim, texts, intents, scales, quantised);
    }

    /**
     * Embeds labelled questions with an encoder and indexes them.
     *
     * @param encoder the encoder; queries are later embedded with the same one.
     * @param rows    the questions (typically {@code models/data/train.tsv}).
     * @param device  the ONNX Runtime device setting.
     * @param threads ONNX Runtime intra-op threads.
     * @return the index.
     * @throws IOException  when the encoder cannot be loaded.
     * @throws OrtException when ONNX Runtime fails.
     */
    public static QuestionIndex embed(final Encoder encoder, final List<LabelledQuery> rows, final String device,
        final int threads) throws IOException, OrtException
    {
        final List<String> texts = new ArrayList<>(rows.size());
        for (final LabelledQuery row : rows)
        {
            texts.add(TextNormalizer.normalize(row.text()));
        }
        try (Embedder embedder = ModelPackage.openEmbedder(encoder, device, threads, 32, 128))
        {
            return of(encoder.id(), rows, embedder.embed(texts));
        }
    }

    /**
     * @param dir a package folder.
     * @return whether it holds an index.
     */
    public static boolean exists(final Path dir)
    {
        return Files.isRegularFile(dir.resolve(VECTORS)) && Files.isRegularFile(dir.resolve(TEXTS));
    }

    /**
     * Reads a package's index.
     *
     * @param dir the package folder.
     * @return the index.
     * @throws IOException when a file is missing or malformed; the message names it.
     */
    public static QuestionIndex read(final Path dir) throws IOException
    {
        final Path file = dir.resolve(VECTORS);
        final ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (buf.remaining() < 20 || buf.getInt() != MAGIC)
        {
            throw new IOException(file + ": not an index (expected magic IVIX)");
        }
        final int version = buf.getInt();
        final int rows = buf.getInt();
        final int dim = buf.getInt();
        final int idLength = buf.getInt();
        if (version != VERSION || rows <= 0 || dim <= 0 || idLength <= 0 || idLength > MAX_ENCODER_ID_BYTES)
        {
            throw new IOException(file + ": header version=" + version + " rows=" + rows + " dim=" + dim +
                " idLength=" + idLength + " (expected: version 1, all > 0, idLength <= " + MAX_ENCODER_ID_BYTES + ")");
        }
        final long expected = 20L + idLength + 4L * rows + (long)rows * dim;
        if (buf.capacity() != expected)
        {
            throw new IOException(file + ": " + buf.capacity() + " bytes (expected: " + expected + ")");
        }
        final byte[] id = new byte[idLength];
        buf.get(id);
        final float[] scales = new float[rows];
        buf.asFloatBuffer().get(scales);
        buf.position(buf.position() + 4 * rows);
        final byte[] vectors = new byte[rows * dim];
        buf.get(vectors);

        final Path textFile = dir.resolve(TEXTS);
        final List<String> lines = Files.readAllLines(textFile, StandardCharsets.UTF_8);
        if (lines.size() != rows)
        {
            throw new IOException(textFile + ": " + lines.size() + " lines (expected: " + rows + ", as " + VECTORS + ")");
        }
        final String[] texts = new String[rows];
        final String[] intents = new String[rows];
        for (int row = 0; row < rows; row++)
        {
            final String line = lines.get(row);
            final int tab = line.lastIndexOf('\t');
            if (tab <= 0 || tab == line.length() - 1)
            {
                throw new IOException(textFile + ":" + (row + 1) + ": expected text<TAB>intent");
            }
            texts[row] = line.substring(0, tab);
            intents[row] = line.substring(tab + 1);
        }
        return new QuestionIndex(new String(id, StandardCharsets.UTF_8), dim, texts, intents, scales, vectors);
    }

    /**
     * Writes {@link #VECTORS} and {@link #TEXTS} into a folder, each first under a hidden name and then
     * renamed into place.
     *
     * @param dir the package folder (or its staging folder).
     * @throws IOException when a file cannot be written.
     */
    public void write(final Path dir) throws IOException
    {
        final byte[] id = encoderId.getBytes(StandardCharsets.UTF_8);
        final ByteBuffer buf = ByteBuffer.allocate(20 + id.length + 4 * scales.length + vectors.length)
            .order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(MAGIC).putInt(VERSION).putInt(texts.length).putInt(dimension).putInt(id.length).put(id);
        for (final float scale : scales)
        {
            buf.putFloat(scale);
        }
        buf.put(vectors);
        final StringBuilder tsv = new StringBuilder(texts.length * 32);
        for (int row = 0; row < texts.length; row++)
        {
            tsv.append(texts[row]).append('\t').append(intents[row]).append('\n');
        }
        writeAtomically(dir.resolve(TEXTS), tsv.toString().getBytes(StandardCharsets.UTF_8));
        writeAtomically(dir.resolve(VECTORS), buf.array());
    }

    private static void writeAtomically(final Path file, final byte[] bytes) throws IOException
    {
        final Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.write(temp, bytes);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * @return the id of the encoder the vectors come from ({@link Encoder#id()}).
     */
    public String encoderId()
    {
        return encoderId;
    }

    /**
     * @return the number of questions.
     */
    public int size()
    {
        return texts.length;
    }

    /**
     * @return the vector length.
     */
    public int dimension()
    {
        return dimension;
    }

    /**
     * Finds the questions most like a query by cosine similarity.
     *
     * @param query an L2-normalised vector of {@link #dimension()} floats, from the same encoder.
     * @param k     how many to return.
     * @return at most {@code k} neighbours, the most similar first.
     */
    public Neighbour[] nearest(final float[] query, final int k)
    {
        if (query.length != dimension)
        {
            throw new IllegalArgumentException("query.length=" + query.length + " (expected: " + dimension + ")");
        }
        final int n = Math.min(k, texts.length);
        final int[] best = new int[n];
        final float[] bestScore = new float[n];
        int found = 0;
        final int dim = dimension;
        final byte[] v = vectors;
        for (int row = 0; row < texts.length; row++)
        {
            float dot = 0f;
            final int base = row * dim;
            for (int i = 0; i < dim; i++)
            {
                dot += query[i] * v[base + i];
            }
            final float score = dot * scales[row];
            // insertion into a short sorted list: k is 3
            int at = found < n ? found : n;
            while (at > 0 && bestScore[at - 1] < score)
            {
                at--;
            }
            if (at < n)
            {
                final int moved = Math.min(found, n - 1) - at;
                System.arraycopy(best, at, best, at + 1, moved);
                System.arraycopy(bestScore, at, bestScore, at + 1, moved);
                best[at] = row;
                bestScore[at] = score;
                found = Math.min(n, found + 1);
            }
        }
        final Neighbour[] out = new Neighbour[found];
        for (int i = 0; i < found; i++)
        {
            out[i] = new Neighbour(texts[best[i]], intents[best[i]], bestScore[i]);
        }
        return out;
    }
}
