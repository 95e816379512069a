package ivbot.inference.model;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.tokenizer.WordPieceTokenizer;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads and writes model packages: one folder per version under the repository
 * ({@code models/repository/intent/<version>/}). Two forms are served:
 * <pre>
 * ivbot package (written by `ivbot train`)      exported package (e.g. a fine-tuned BERT from PyTorch)
 *   manifest.json  {"format": 1,                  model.onnx      inputs input_ids, attention_mask
 *                   "encoder": "bge-small-zh-v1.5-q",             [, token_type_ids]; one output
 *                   "head": "head.bin",                           [batch, labels] of logits
 *                   "max_length": 128,            labels.txt      one intent id a line, in logit order
 *                   "threshold": 0.45,            tokenizer.json  HuggingFace BERT WordPiece
 *                   "rules_threshold": 0.8,
 *                   "topic_confidence": 0.9}      (topic_confidence optional in both forms)
 *   head.bin       see below                      manifest.json   optional: threshold, max_length
 *   labels.txt     one intent id a line           metrics.json    optional
 *   metrics.json   {"accuracy", "macro_f1", ...}  catalog.json    optional, as in the other form
 *   catalog.json   the label set ({@link IntentCatalog}); optional: without it, the caller's catalog
 *   index.bin, index.tsv  optional in both forms: the training questions for explanations ({@link QuestionIndex})
 *
 * head.bin, little-endian:
 *   +--------+--------+--------+------------------------------+------------------+
 *   | "IVHD" | labels | hidden | weights float32[labels*hidden]| bias float32[labels]
 *   +--------+--------+--------+------------------------------+------------------+
 *     4 bytes  int32    int32     row-major [label][hidden]
 * </pre>
 * An ivbot package's head is merged into the encoder's ONNX graph at load ({@link OnnxGraphs}), so both
 * forms run the same way: one session whose output is the logits. Labels must be intent ids of the
 * package's catalog (its {@value IntentCatalog#FILE}, else the one the caller gives), each at most once.
 */
public final class ModelPackage
{
    /** The manifest file. */
    public static final String MANIFEST = "manifest.json";
    /** The labels file. */
    public static final String LABELS = "labels.txt";
    /** The head weights of an ivbot package. */
    public static final String HEAD = "head.bin";
    /** An exported package's model. */
    public static final String MODEL = "model.onnx";
    /** An exported package's tokenizer. */
    public static final String TOKENIZER = "tokenizer.json";
    /** The metrics file. */
    public static final String METRICS = "metrics.json";
    /** The manifest's {@code "context"} of a model that reads the session topic as segment A of a sentence pair. */
    public static final String CONTEXT_TOPIC = "topic";

    private static final int HEAD_MAGIC = 0x44485649; // "IVHD" little-endian
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int DEFAULT_MAX_LENGTH = 128;

    private ModelPackage()
    {
    }

    /**
     * Loads a package and opens its session.
     *
     * @param dir            the package folder; its name is the version.
     * @param catalog        the catalog of a package that carries no {@value IntentCatalog#FILE}.
     * @param device         {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}.
     * @param intraOpThreads ONNX Runtime intra-op threads.
     * @param maxBatchSize   the largest batch the model will be given.
     * @return the model, ready to predict.
     * @throws IOException when a file is missing or malformed, or ONNX Runtime refuses the model; the
     *                     message names the package.
     */
    public static IntentModel load(final Path dir, final IntentCatalog catalog, final String device,
        final int intraOpThreads, final int maxBatchSize)
        throws IOException
    {
        final String version = dir.getFileName().toString();
        final JsonNode manifest = Files.exists(dir.resolve(MANIFEST)) ? readJson(dir.resolve(MANIFEST)) : MAPPER.createObjectNode();
        final IntentCatalog own = catalogOf(dir, catalog);
        final Intent[] labels = readLabels(dir.resolve(LABELS), own);
        final int maxLength = manifest.path("max_length").asInt(DEFAULT_MAX_LENGTH);
        final float threshold = (float)manifest.path("threshold").asDouble(0.0);
        final float rulesThreshold = (float)manifest.path("rules_threshold").asDouble(2.0);
        // how sure the model must be for a turn to name a new topic on its own; absent: the server's setting
        final float topicConfidence = (float)manifest.path("topic_confidence").asDouble(Double.NaN);
        final String context = manifest.path("context").asText("none");
        if (!"none".equals(context) && !CONTEXT_TOPIC.equals(context))
        {
            throw new IOException("package " + dir + ": manifest context '" + context + "' (expected: none or topic)");
        }
        final boolean readsContext = CONTEXT_TOPIC.equals(context);
        final double macroF1 = Files.exists(dir.resolve(METRICS)) ?
            readJson(dir.resolve(METRICS)).path("macro_f1").asDouble(Double.NaN) : Double.NaN;

        final byte[] model;
        final WordPieceTokenizer tokenizer;
        if (Files.exists(dir.resolve(MODEL)))
        {
            model = Files.readAllBytes(dir.resolve(MODEL));
            tokenizer = WordPieceTokenizer.fromJson(dir.resolve(TOKENIZER));
        }
        else
        {
            final Encoder encoder;
            try
            {
                encoder = Encoder.fromId(manifest.path("encoder").asText(""));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IOException("package " + dir + ": " + ex.getMessage() + "; or provide " + MODEL);
            }
            final Head head = readHead(dir.resolve(manifest.path("head").asText(HEAD)));
            if (head.labels != labels.length)
            {
                throw new IOException("package " + dir + ": head has " + head.labels + " labels, labels.txt " + labels.length);
            }
            model = OnnxGraphs.withLinearHead(encoder.modelBytes(), Encoder.HIDDEN_OUTPUT, head.weights, head.bias);
            tokenizer = encoder.tokenizer();
        }
        try
        {
            final OrtRunner runner = new OrtRunner(OrtSessions.open(model, device, intraOpThreads), tokenizer, maxBatchSize, maxLength);
            try
            {
                return new IntentModel(version, own, labels, threshold, rulesThreshold, topicConfidence, macroF1, runner,
                    readsContext);
            }
            catch (final IllegalArgumentException ex)
            {
                runner.close();
                throw new IOException("package " + dir + ": " + ex.getMessage(), ex);
            }
        }
        catch (final OrtException ex)
        {
            throw new IOException("package " + dir + ": ONNX Runtime refused the model: " + ex.getMessage(), ex);
        }
    }

    /**
     * Opens the encoder with its pooled, L2-normalised CLS vector as output, for training.
     *
     * @param encoder        the encoder.
     * @param device         the device setting.
     * @param intraOpThreads ONNX Runtime intra-op threads.
     * @param maxBatchSize   the largest batch.
     * @param maxLength      the longest token sequence.
     * @return an embedder; the caller closes it.
     * @throws IOException when the encoder cannot be loaded.
     */
    public static Embedder openEmbedder(
        final Encoder encoder, final String device, final int intraOpThreads, final int maxBatchSize, final int maxLength)
        throws IOException
    {
        try
        {
            final byte[] model = OnnxGraphs.withEmbeddingOutput(encoder.modelBytes(), Encoder.HIDDEN_OUTPUT);
            return new Embedder(new OrtRunner(OrtSessions.open(model, device, intraOpThreads), encoder.tokenizer(),
                maxBatchSize, maxLength));
        }
        catch (final OrtException ex)
        {
            throw new IOException("encoder " + encoder.id() + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Writes an ivbot package into {@code dir}, which must not exist yet: first into a hidden sibling
     * folder, then renamed into place, so a repository watcher never sees half a package.
     *
     * @param dir       the package folder to make.
     * @param encoder   the encoder the head was trained on.
     * @param catalog   the label set: the head has one row per intent, in index order; written as
     *                  {@value IntentCatalog#FILE} and {@value #LABELS}.
     * @param weights   the head's weights, {@code [labels][hidden]} row-major.
     * @param bias      the head's bias.
     * @param maxLength the token limit.
     * @param threshold the calibrated model confidence threshold.
     * @param rulesThreshold the calibrated rule confidence from which the rules answer first.
     * @param metrics   the metrics to write.
     * @throws IOException when the folder exists or cannot be written.
     */
    public static void write(final Path dir, final Encoder encoder, final IntentCatalog catalog, final float[] weights,
        final float[] bias, final int maxLength, final float threshold, final float rulesThreshold, final ObjectNode metrics)
        throws IOException
    {
        write(dir, encoder, catalog, weights, bias, maxLength, threshold, rulesThreshold, metrics, null);
    }

    /**
     * Writes an ivbot package as {@link #write(Path, Encoder, IntentCatalog, float[], float[], int, float, float,
     * ObjectNode)} does, with its training questions' {@link QuestionIndex} (for explanations) when given.
     *
     * @param dir       the package folder to make.
     * @param encoder   the encoder the head was trained on.
     * @param catalog   the label set, in the head's row order.
     * @param weights   the head's weights, {@code [labels][hidden]} row-major.
     * @param bias      the head's bias.
     * @param maxLength the token limit.
     * @param threshold the calibrated model confidence threshold.
     * @param rulesThreshold the calibrated rule confidence from which the rules answer first.
     * @param metrics   the metrics to write.
     * @param index     the training questions' index, or {@code null} for none.
     * @throws IOException when the folder exists or cannot be written.
     */
    public static void write(final Path dir, final Encoder encoder, final IntentCatalog catalog, final float[] weights,
        final float[] bias, final int maxLength, final float threshold, final float rulesThreshold, final ObjectNode metrics,
        final QuestionIndex index)
        throws IOException
    {
        if (Files.exists(dir))
        {
            throw new IOException("package " + dir + " already exists (versions are immutable: pick a new one)");
        }
        final Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        final Path staging = parent.resolve("." + dir.getFileName() + ".tmp");
        Files.createDirectories(staging);
        final ObjectNode manifest = MAPPER.createObjectNode()
            .put("format", 1)
            .put("encoder", encoder.id())
            .put("head", HEAD)
            .put("max_length", maxLength)
            .put("threshold", threshold)
            .put("rules_threshold", rulesThreshold);
        MAPPER.writerWithDefaultPrettyPrinter().writeValue(staging.resolve(MANIFEST).toFile(), manifest);
        final StringBuilder text = new StringBuilder();
        for (final Intent label : catalog.intents())
        {
            text.append(label.id()).append('\n');
        }
        Files.writeString(staging.resolve(LABELS), text, StandardCharsets.UTF_8);
        catalog.write(staging.resolve(IntentCatalog.FILE));
        writeHead(staging.resolve(HEAD), catalog.size(), weights, bias);
        MAPPER.writerWithDefaultPrettyPrinter().writeValue(staging.resolve(METRICS).toFile(), metrics);
        if (index != null)
        {
            index.write(staging);
        }
        Files.move(staging, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * @param dir     a package folder.
     * @param catalog the catalog to use when the package carries none.
     * @return the package's own {@value IntentCatalog#FILE}, else {@code catalog}.
     * @throws IOException when the package's catalog is not valid; the message names the file.
     */
    public static IntentCatalog catalogOf(final Path dir, final IntentCatalog catalog) throws IOException
    {
        final Path file = dir.resolve(IntentCatalog.FILE);
        return Files.exists(file) ? IntentCatalog.load(file) : catalog;
    }

    static Intent[] readLabels(final Path file, final IntentCatalog catalog) throws IOException
    {
        final List<Intent> labels = new ArrayList<>();
        final Set<Intent> seen = new HashSet<>();
        for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
        {
            final String id = line.strip();
            if (id.isEmpty())
            {
                continue;
            }
            final Intent intent = catalog.fromId(id);
            if (intent == null || !seen.add(intent))
            {
                throw new IOException(file + ": label '" + id + "' is " +
                    (intent == null ? "not an intent of catalog " + catalog.source() : "repeated"));
            }
            labels.add(intent);
        }
        if (labels.isEmpty())
        {
            throw new IOException(file + ": no labels");
        }
        return labels.toArray(new Intent[0]);
    }

    private static JsonNode readJson(final Path file) throws IOException
    {
        try
        {
            return MAPPER.readTree(file.toFile());
        }
        catch (final IOException ex)
        {
            throw new IOException(file + " is not valid JSON: " + ex.getMessage(), ex);
        }
    }

    private record Head(int labels, float[] weights, float[] bias)
    {
    }

    private static Head readHead(final Path file) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        final ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 12 || buf.getInt() != HEAD_MAGIC)
        {
            throw new IOException(file + ": not a head file (expected magic IVHD)");
        }
        final int labels = buf.getInt();
        final int hidden = buf.getInt();
        final long expected = 12L + 4L * ((long)labels * hidden + labels);
        if (labels <= 0 || hidden <= 0 || bytes.length != expected)
        {
            throw new IOException(file + ": " + bytes.length + " bytes (expected: " + expected + " for " + labels + "x" + hidden + ")");
        }
        final float[] weights = new float[labels * hidden];
        final float[] bias = new float[labels];
        buf.asFloatBuffer().get(weights);
        buf.position(buf.position() + weights.length * 4);
        buf.asFloatBuffer().get(bias);
        return new Head(labels, weights, bias);
    }

    private static void writeHead(final Path file, final int labels, final float[] weights, final float[] bias)
        throws IOException
    {
        final int hidden = weights.length / labels;
        final ByteBuffer buf = ByteBuffer.allocate(12 + 4 * (weights.length + bias.length)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(HEAD_MAGIC).putInt(labels).putInt(hidden);
        for (final float w : weights)
        {
            buf.putFloat(w);
        }
        for (final float b : bias)
        {
            buf.putFloat(b);
        }
        Files.write(file, buf.array());
    }
}
