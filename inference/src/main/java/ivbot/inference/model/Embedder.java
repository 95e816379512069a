package ivbot.inference.model;

import ai.onnxruntime.OrtException;

import java.util.List;

/**
 * Embeds texts with the encoder: the L2-normalised CLS vector of each. Used by training and by anything
 * that needs sentence vectors. Not thread-safe; {@link #close()} releases the session.
 */
public final class Embedder implements AutoCloseable
{
    private final OrtRunner runner;
    private final float[] rows;

    Embedder(final OrtRunner runner)
    {
        this.runner = runner;
        this.rows = new float[runner.maxBatchSize() * runner.width()];
    }

    /**
     * @return the embedding width (512 for bge-small-zh).
     */
    public int dimension()
    {
        return runner.width();
    }

    /**
     * @return the device the session runs on.
     */
    public String device()
    {
        return runner.device();
    }

    /**
     * @param normalizedTexts texts after {@link ivbot.inference.TextNormalizer}.
     * @return one vector per text, each computed alone.
     * @throws OrtException when ONNX Runtime fails.
     */
    public float[][] embed(final List<String> normalizedTexts) throws OrtException
    {
        final int dim = runner.width();
        final float[][] out = new float[normalizedTexts.size()][dim];
        for (int i = 0; i < normalizedTexts.size(); i++)
        {
            // one text a call: the int8 encoder quantizes activations per batch, so a text's vector would move with
            // the texts beside it; alone, a text always has one vector, the one a served query of its own gets
            runner.run(normalizedTexts.subList(i, i + 1), rows);
            System.arraycopy(rows, 0, out[i], 0, dim);
        }
        return out;
    }

    @Override
    public void close()
    {
        runner.close();
    }
}
