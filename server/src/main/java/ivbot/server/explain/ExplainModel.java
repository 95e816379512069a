package ivbot.server.explain;

import ai.onnxruntime.OrtException;
import ivbot.inference.TextNormalizer;
import ivbot.inference.model.Embedder;
import ivbot.inference.model.Encoder;
import ivbot.inference.IntentCatalog;
import ivbot.inference.model.IntentModel;
import ivbot.inference.model.ModelPackage;
import ivbot.inference.model.Occlusion;
import ivbot.inference.model.QuestionIndex;
import ivbot.proto.Explanation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One package loaded for explanations, apart from the serving one: its own ONNX Runtime session of the
 * package's model, its training questions' {@link QuestionIndex} (when it ships one), and a session of the
 * base encoder that made the index, to embed a query the same way.
 * <p>
 * {@link #explain} computes, for one turn: the model's top intents; the saliency of each query token by
 * occlusion (the drop in the explained intent's probability when that token is masked, no gradients); and
 * the nearest training questions by cosine similarity.
 * <p>
 * Not thread-safe: owned by one thread (the {@link Explainer}'s, or a command's). {@link #close()} releases
 * the sessions.
 */
public final class ExplainModel implements AutoCloseable
{
    /** The most query tokens masked: one batch row each, so the cost of an explanation is bounded. */
    public static final int MAX_TOKENS = 64;
    /** How many intents and how many nearest questions an explanation lists. */
    public static final int TOP = 3;

    private static final Logger LOG = LoggerFactory.getLogger(ExplainModel.class);
    // a query is one row: the encoder sees short texts
    private static final int EMBED_MAX_LENGTH = 128;

    private final Path dir;
    private final IntentModel model;
    private final QuestionIndex index;
    private final Embedder embedder;

    private ExplainModel(final Path dir, final IntentModel model, final QuestionIndex index, final Embedder embedder)
    {
        this.dir = dir;
        this.model = model;
        this.index = index;
        this.embedder = embedder;
    }

    /**
     * Loads a package for explanations. A package without an index, or whose index is unreadable or names an
     * encoder this build does not carry, explains without nearest questions (logged at WARN for the last two).
     *
     * @param dir            the package folder.
     * @param catalog        the label set when the package carries none ({@link ModelPackage#catalogOf}).
     * @param device         the ONNX Runtime device setting.
     * @param intraOpThreads ONNX Runtime intra-op threads of each session.
     * @param maxBatchSize   the most rows in one ONNX Runtime call.
     * @return the loaded package.
     * @throws IOException when the package's model does not load.
     */
    public static ExplainModel load(final Path dir, final IntentCatalog catalog, final String device,
        final int intraOpThreads, final int maxBatchSize) throws IOException
    {
        final IntentModel model = ModelPackage.load(dir, catalog, device, intraOpThreads, maxBatchSize);
        QuestionIndex index = null;
        Embedder embedder = null;
        if (QuestionIndex.exists(dir))
        {
            try
            {
                index = QuestionIndex.read(dir);
                embedder = ModelPackage.openEmbedder(Encoder.fromId(index.encoderId()), device, intraOpThreads, 1,
                    EMBED_MAX_LENGTH);
                if (embedder.dimension() != index.dimension())
                {
                    throw new IOException(dir + ": index dimension " + index.dimension() + ", encoder " +
                        embedder.dimension());
                }
            }
            catch (final IOException | IllegalArgumentException ex)
            {
                LOG.warn("package {}: explaining without nearest questions: {}", dir, ex.getMessage());
                if (embedder != null)
                {
                    embedder.close();
                }
                index = null;
                embedder = null;
            }
        }
        return new ExplainModel(dir, model, index, embedder);
    }

    /**
     * @return the package folder.
     */
    public Path dir()
    {
        return dir;
    }

    /**
     * @return the package version.
     */
    public String version()
    {
        return model.version();
    }

    /**
     * @return whether the package ships an index of its training questions.
     */
    public boolean hasIndex()
    {
        return index != null;
    }

    /**
     * @return the model, for a command that measures a normal prediction beside an explanation.
     */
    public IntentModel model()
    {
        return model;
    }

    /**
     * Explains one turn.
     *
     * @param context the turn's segment A (the session topic's Chinese name), {@code null} for none; ignored
     *                by a model that does not read context.
     * @param query   the query as the user typed it; normalised here as the serving path does.
     * @param intent  the intent to explain (the reply's); the model's first choice when {@code null} or not
     *                one of its labels.
     * @return the explanation, without {@code latency_ms}.
     * @throws OrtException when ONNX Runtime fails.
     */
    public Explanation explain(final String context, final String query, final String intent) throws OrtException
    {
        final String normalized = TextNormalizer.normalize(query);
        final Occlusion occlusion = model.occlude(context, normalized, MAX_TOKENS);
        final int labels = occlusion.labelCount();
        final int asked = intent == null ? -1 : occlusion.labelIndex(intent);
        final int chosen = asked >= 0 ? asked : occlusion.best();
        final Explanation.Builder out = Explanation.newBuilder()
            .setIntent(occlusion.labelId(chosen))
            .setModelVersion(model.version());
        final boolean[] taken = new boolean[labels];
        for (int rank = 0; rank < Math.min(TOP, labels); rank++)
        {
            int best = -1;
            for (int label = 0; label < labels; label++)
            {
                if (!taken[label] && (best < 0 || occlusion.probability(label) > occlusion.probability(best)))
                {
                    best = label;
                }
            }
            taken[best] = true;
            out.addTop(Explanation.Top.newBuilder()
                .setIntent(occlusion.labelId(best))
                .setProbability(occlusion.probability(best)));
        }
        for (int token = 0; token < occlusion.tokenCount(); token++)
        {
            out.addSaliency(Explanation.Token.newBuilder()
                .setToken(occlusion.token(token))
                .setWeight(occlusion.saliency(token, chosen)));
        }
        if (index != null)
        {
            final float[] vector = embedder.embed(List.of(normalized))[0];
            for (final QuestionIndex.Neighbour neighbour : index.nearest(vector, TOP))
            {
                out.addNearest(Explanation.Nearest.newBuilder()
                    .setText(neighbour.text())
                    .setIntent(neighbour.intent())
                    .setSimilarity(neighbour.similarity()));
            }
        }
        return out.build();
    }

    @Override
    public void close()
    {
        model.close();
        if (embedder != null)
        {
            embedder.close();
        }
    }
}
