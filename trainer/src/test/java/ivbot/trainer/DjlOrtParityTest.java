package ivbot.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OrtSession;
import ivbot.inference.TextNormalizer;
import ivbot.inference.model.Encoder;
import ivbot.inference.model.OnnxGraphs;
import ivbot.inference.tokenizer.WordPieceTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DJL BERT built from the fp32 ONNX initializers computes the served graph: its logits (CLS, L2 norm,
 * Gemm) match ONNX Runtime's on the same graph within 1e-3, on a padded batch of real questions.
 */
@Timeout(120)
class DjlOrtParityTest
{
    private static final List<String> QUERIES = List.of(
        "年假有几天？", "试用期可以请病假吗", "我想转人工", "谢谢，再见",
        "面试结果什么时候出来？我上周三参加了二面，到现在还没有消息", "How do I apply for remote work?");

    @BeforeAll
    static void offline()
    {
        DjlEnvironment.configure(Path.of("target/djl-cache"));
    }

    @Test
    void shouldMatchOnnxRuntimeLogitsWithinOneThousandth() throws Exception
    {
        final byte[] encoder = Encoder.BGE_SMALL_ZH_FP32.modelBytes();
        final WordPieceTokenizer tokenizer = Encoder.BGE_SMALL_ZH_FP32.tokenizer();
        final int labels = 24;
        final int hidden = 512;
        // a head with large weights, so that logits are far apart and a small error in the encoder shows
        final Random random = new Random(7);
        final float[] weights = new float[labels * hidden];
        final float[] bias = new float[labels];
        for (int i = 0; i < weights.length; i++)
        {
            weights[i] = (float)random.nextGaussian();
        }
        for (int i = 0; i < labels; i++)
        {
            bias[i] = (float)random.nextGaussian();
        }
        final List<String> texts = new ArrayList<>();
        final List<String> contexts = new ArrayList<>();
        for (final String query : QUERIES)
        {
            texts.add(TextNormalizer.normalize(query));
            // every other row is a sentence pair (topic, query), so that segment 1's embedding is checked too
            contexts.add(contexts.size() % 2 == 0 ? null : "产假/陪产假");
        }
        final int maxLength = 128;
        final long[] ids = new long[texts.size() * maxLength];
        final long[] mask = new long[texts.size() * maxLength];
        final long[] types = new long[texts.size() * maxLength];
        final int seq = tokenizer.encodeBatch(contexts, texts, maxLength, ids, mask, types);
        assertTrue(Arrays.stream(types, 0, texts.size() * seq).anyMatch(t -> t == 1L), "no segment-1 token in the batch");

        final float[] expected;
        try (OrtSession session = Fixtures.open(OnnxGraphs.withLinearHead(encoder, Encoder.HIDDEN_OUTPUT, weights, bias)))
        {
            expected = Fixtures.ortOutput(session, ids, mask, types, texts.size(), seq);
        }
        final float[] actual;
        try (NDManager manager = NDManager.newBaseManager();
             BertClassifier model = new BertClassifier(manager, BertWeights.read(encoder), weights, bias))
        {
            final Shape shape = new Shape(texts.size(), seq);
            final NDArray logits = model.logits(manager.create(Arrays.copyOf(ids, texts.size() * seq), shape),
                manager.create(Arrays.copyOf(mask, texts.size() * seq), shape),
                manager.create(Arrays.copyOf(types, texts.size() * seq), shape), 0f);
            actual = logits.toFloatArray();
        }
        assertEquals(expected.length, actual.length);
        float maxDiff = 0f;
        float maxAbs = 0f;
        for (int i = 0; i < expected.length; i++)
        {
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
        }
        System.out.printf("DJL vs ONNX Runtime: max |logit diff| %.2e over %d logits (max |logit| %.2f)%n",
            maxDiff, expected.length, maxAbs);
        assertTrue(maxAbs > 1f, "logits too small to tell anything: " + maxAbs);
        assertTrue(maxDiff < 1e-3f, "max |logit diff| " + maxDiff);
    }
}
