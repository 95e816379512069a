package ivbot.trainer;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ivbot.inference.IntentCatalog;
import ivbot.inference.eval.LabelledQuery;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Test helpers: the repository's paths, the frozen package's head, and raw ONNX Runtime logits.
 */
final class Fixtures
{
    /** The frozen-encoder package (bge int8 + head.bin) that the int8 agreement test builds on. */
    static final String FROZEN_VERSION = "20261125-1";

    private Fixtures()
    {
    }

    static Path repoRoot()
    {
        final String configured = System.getProperty("ivbot.repo.root");
        Path dir = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("models/repository/intent")))
        {
            dir = dir.getParent();
        }
        if (dir == null)
        {
            throw new IllegalStateException("repository root with models/repository/intent not found");
        }
        return dir;
    }

    static List<LabelledQuery> read(final String file) throws IOException
    {
        return LabelledQuery.readTsv(repoRoot().resolve("models/data").resolve(file), catalog());
    }

    static IntentCatalog catalog() throws IOException
    {
        return IntentCatalog.load(repoRoot().resolve("models/catalog.json"));
    }

    /**
     * @return the frozen package's head: {@code [0]} weights {@code [labels*hidden]}, {@code [1]} bias.
     */
    static float[][] frozenHead() throws IOException
    {
        final byte[] bytes = Files.readAllBytes(repoRoot().resolve("models/repository/intent").resolve(FROZEN_VERSION).resolve("head.bin"));
        final ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.getInt();
        final int labels = buf.getInt();
        final int hidden = buf.getInt();
        final float[] weights = new float[labels * hidden];
        final float[] bias = new float[labels];
        for (int i = 0; i < weights.length; i++)
        {
            weights[i] = buf.getFloat();
        }
        for (int i = 0; i < bias.length; i++)
        {
            bias[i] = buf.getFloat();
        }
        return new float[][] {weights, bias};
    }

    /**
     * @return an ONNX Runtime session on two threads; the caller closes it.
     */
    static OrtSession open(final byte[] model) throws OrtException
    {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions())
        {
            options.setIntraOpNumThreads(2);
            return OrtEnvironment.getEnvironment().createSession(model, options);
        }
    }

    /**
     * Runs a session whose single output is {@code [rows, width]} on a padded batch (token types 0).
     *
     * @return the output, row-major.
     */
    static float[] ortOutput(final OrtSession session, final long[] ids, final long[] mask, final int rows, final int seq)
        throws OrtException
    {
        return ortOutput(session, ids, mask, new long[rows * seq], rows, seq);
    }

    static float[] ortOutput(final OrtSession session, final long[] ids, final long[] mask, final long[] types,
        final int rows, final int seq) throws OrtException
    {
        final OrtEnvironment env = OrtEnvironment.getEnvironment();
        final long[] shape = {rows, seq};
        try (OnnxTensor idsTensor = OnnxTensor.createTensor(env, LongBuffer.wrap(ids, 0, rows * seq), shape);
             OnnxTensor maskTensor = OnnxTensor.createTensor(env, LongBuffer.wrap(mask, 0, rows * seq), shape);
             OnnxTensor typesTensor = OnnxTensor.createTensor(env, LongBuffer.wrap(types, 0, rows * seq), shape);
             OrtSession.Result result = session.run(Map.of("input_ids", idsTensor, "attention_mask", maskTensor,
                 "token_type_ids", typesTensor)))
        {
            final OnnxTensor out = (OnnxTensor)result.get(0);
            final float[] values = new float[out.getFloatBuffer().remaining()];
            out.getFloatBuffer().get(values);
            return values;
        }
    }
}
