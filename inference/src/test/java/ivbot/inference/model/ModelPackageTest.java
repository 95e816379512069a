package ivbot.inference.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.inference.Intent;
import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.LabelledQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real ONNX model: the shipped package, the head merged into the graph, exported packages, corrupt
 * packages, the CPU fallback.
 */
@Timeout(120)
class ModelPackageTest
{
    private static IntentModel shipped;

    @BeforeAll
    static void load() throws IOException
    {
        shipped = ModelPackage.load(Models.shippedPackage(), Models.catalog(), "cpu", 2, 32);
    }

    @AfterAll
    static void close()
    {
        shipped.close();
    }

    private static List<String> normalized(final List<LabelledQuery> rows)
    {
        final List<String> texts = new ArrayList<>();
        for (final LabelledQuery row : rows)
        {
            texts.add(TextNormalizer.normalize(row.text()));
        }
        return texts;
    }

    @Test
    void shouldScoreAboveTheFloorOnTheDevSet() throws Exception
    {
        // measured 0.937 macro-F1 for 20261125-1 (int8, CPU) on the dev set without its train overlap (0.954
        // before the 86 leaked rows were replaced); the floor leaves room for CPU numeric noise
        final double f1 = ModelRepository.macroF1(shipped, Models.dev());
        assertTrue(f1 >= 0.92, "dev macro-F1 " + f1);
    }

    @Test
    void shouldAnswerTheSpecExamples() throws Exception
    {
        final Prediction[] out = new Prediction[4];
        shipped.predict(List.of("年假有几天?", "公积金比例多少", "三方协议什么时候签", "今天天气怎么样"), out);
        assertEquals(Models.intent("leave_annual"), out[0].intent());
        assertEquals(Models.intent("social_insurance"), out[1].intent());
        assertEquals(Models.intent("contract"), out[2].intent());
        assertEquals(Models.intent("out_of_scope"), out[3].intent());
        for (final Prediction p : out)
        {
            assertTrue(p.confidence() > 0 && p.confidence() <= 1);
            // the margin over the runner-up: never more than the winner's own probability, never negative
            assertTrue(p.margin() >= 0 && p.margin() <= p.confidence(), p.toString());
            assertEquals(shipped.version(), p.modelVersion());
        }
        assertTrue(out[1].margin() > 0.2f, "a clear question is not a close call: " + out[1]);
    }

    @Test
    void shouldGiveTheSameAnswerAloneAndInAPaddedBatch() throws Exception
    {
        final List<String> texts = normalized(Models.dev().subList(0, 32));
        final Prediction[] batch = new Prediction[32];
        shipped.predict(texts, batch);
        final Prediction[] single = new Prediction[1];
        for (int i = 0; i < texts.size(); i++)
        {
            shipped.predict(List.of(texts.get(i)), single);
            assertEquals(single[0].intent(), batch[i].intent(), texts.get(i));
            // int8 dynamic quantisation scales activations per batch, padding included: close, not equal
            // (the fp32 test below shows padding itself changes nothing)
            assertEquals(single[0].confidence(), batch[i].confidence(), 0.15, texts.get(i));
        }
    }

    @Test
    void shouldEmbedTheSameAloneAndPaddedInFp32() throws Exception
    {
        final List<String> texts = List.of("毕业生报到证还要吗", "hi", "入职以后公司会不会安排导师带新人熟悉业务流程呢请问");
        try (Embedder embedder = ModelPackage.openEmbedder(Encoder.BGE_SMALL_ZH_FP32, "cpu", 2, 4, 128))
        {
            final float[][] batch = embedder.embed(texts);
            for (int i = 0; i < texts.size(); i++)
            {
                final float[] single = embedder.embed(List.of(texts.get(i)))[0];
                double cosine = 0;
                for (int d = 0; d < single.length; d++)
                {
                    cosine += single[d] * batch[i][d];
                }
                assertEquals(1.0, cosine, 1e-5, texts.get(i));
            }
        }
    }

    @Test
    void shouldComputeTheMergedHeadLikeTheHeadAppliedInJava(@TempDir final Path dir) throws Exception
    {
        final Random random = new Random(7);
        final int labels = Models.catalog().size();
        final float[] weights = new float[labels * 512];
        final float[] bias = new float[labels];
        for (int i = 0; i < weights.length; i++)
        {
            weights[i] = (float)random.nextGaussian();
        }
        for (int i = 0; i < labels; i++)
        {
            bias[i] = (float)random.nextGaussian();
        }
        final Path pkg = dir.resolve("v-random");
        ModelPackage.write(pkg, Encoder.BGE_SMALL_ZH_INT8, Models.catalog(), weights, bias, 64, 0.5f, 0.8f,
            new ObjectMapper().createObjectNode());
        final List<String> texts = List.of("校招生年假几天", "那病假呢", "offer什么时候发");
        final float[][] embeddings;
        try (Embedder embedder = ModelPackage.openEmbedder(Encoder.BGE_SMALL_ZH_INT8, "cpu", 1, 8, 64))
        {
            embeddings = embedder.embed(texts);
        }
        try (IntentModel model = ModelPackage.load(pkg, Models.catalog(), "cpu", 1, 8))
        {
            assertEquals(0.5f, model.threshold());
            assertEquals(0.8f, model.rulesThreshold());
            final Prediction[] out = new Prediction[3];
            for (int t = 0; t < texts.size(); t++)
            {
                // one text a call, as the embedder runs them: the int8 encoder quantizes activations per batch
                final Prediction[] one = new Prediction[1];
                model.predict(texts.subList(t, t + 1), one);
                out[t] = one[0];
            }
            for (int t = 0; t < texts.size(); t++)
            {
                double norm = 0;
                for (final float v : embeddings[t])
                {
                    norm += v * v;
                }
                assertEquals(1.0, norm, 1e-3, "embeddings are L2-normalised");
                int best = 0;
                double bestLogit = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < labels; c++)
                {
                    double z = bias[c];
                    for (int d = 0; d < 512; d++)
                    {
                        z += weights[c * 512 + d] * embeddings[t][d];
                    }
                    if (z > bestLogit)
                    {
                        bestLogit = z;
                        best = c;
                    }
                }
                assertEquals(Models.catalog().fromIndex(best), out[t].intent(), texts.get(t));
            }
        }
    }

    @Test
    void shouldServeAnExportedPackageWithLogitsOutput(@TempDir final Path dir) throws Exception
    {
        // an exported package as a PyTorch user would ship it: model.onnx with logits, labels.txt, tokenizer.json
        final Path exported = dir.resolve("exported-1");
        Files.createDirectories(exported);
        final float[] weights = new float[3 * 512];
        final float[] bias = {0f, 0f, 0f};
        Files.write(exported.resolve(ModelPackage.MODEL), OnnxGraphs.withLinearHead(
            Encoder.BGE_SMALL_ZH_INT8.modelBytes(), Encoder.HIDDEN_OUTPUT, weights, bias));
        Files.writeString(exported.resolve(ModelPackage.LABELS), "greeting\nthanks_bye\nhuman_agent\n", StandardCharsets.UTF_8);
        try (InputStream in = getClass().getResourceAsStream("/bge-small-zh-v1.5-q-tokenizer.json"))
        {
            Files.copy(in, exported.resolve(ModelPackage.TOKENIZER));
        }
        try (IntentModel model = ModelPackage.load(exported, Models.catalog(), "cpu", 1, 4))
        {
            final Prediction[] out = new Prediction[1];
            model.predict(List.of("你好"), out);
            assertEquals(Models.intent("greeting"), out[0].intent(), "all-zero logits: the first label wins");
            assertEquals(1f / 3, out[0].confidence(), 1e-4);
            assertEquals("exported-1", model.version());
        }
    }

    @Test
    void shouldRejectCorruptOrHalfWrittenPackages(@TempDir final Path dir) throws Exception
    {
        final Path truncated = dir.resolve("truncated");
        Models.copy(Models.headPackage(), truncated);
        final byte[] head = Files.readAllBytes(truncated.resolve(ModelPackage.HEAD));
        Files.write(truncated.resolve(ModelPackage.HEAD), java.util.Arrays.copyOf(head, head.length / 2));
        assertTrue(assertThrows(IOException.class, () -> ModelPackage.load(truncated, Models.catalog(), "cpu", 1, 4)).getMessage().contains("bytes"));

        final Path badLabels = dir.resolve("bad-labels");
        Models.copy(Models.shippedPackage(), badLabels);
        Files.writeString(badLabels.resolve(ModelPackage.LABELS), "leave_annual\nvacation\n");
        assertThrows(IOException.class, () -> ModelPackage.load(badLabels, Models.catalog(), "cpu", 1, 4));

        final Path garbage = dir.resolve("garbage-onnx");
        Files.createDirectories(garbage);
        Files.write(garbage.resolve(ModelPackage.MODEL), new byte[] {1, 2, 3, 4, 5});
        Files.writeString(garbage.resolve(ModelPackage.LABELS), "greeting\n");
        try (InputStream in = getClass().getResourceAsStream("/bge-small-zh-v1.5-q-tokenizer.json"))
        {
            Files.copy(in, garbage.resolve(ModelPackage.TOKENIZER));
        }
        assertThrows(IOException.class, () -> ModelPackage.load(garbage, Models.catalog(), "cpu", 1, 4));

        final Path missing = dir.resolve("no-labels");
        Models.copy(Models.shippedPackage(), missing);
        Files.delete(missing.resolve(ModelPackage.LABELS));
        assertThrows(IOException.class, () -> ModelPackage.load(missing, Models.catalog(), "cpu", 1, 4));
    }

    @Test
    void shouldFallBackToCpuWhenCudaCannotLoad() throws Exception
    {
        final byte[] model = OnnxGraphs.withEmbeddingOutput(Encoder.BGE_SMALL_ZH_INT8.modelBytes(), Encoder.HIDDEN_OUTPUT);
        final OrtSessions.Opened auto = OrtSessions.open(model, "auto", 1);
        try
        {
            // these machines have no CUDA 12 libraries: auto must settle on CPU and still run
            assertEquals(OrtSessions.cudaLibrariesPresent() ? "cuda:0" : "cpu", auto.device());
        }
        finally
        {
            auto.session().close();
        }
        if (!OrtSessions.cudaLibrariesPresent())
        {
            // asked for CUDA explicitly where its libraries are missing ("libcublasLt.so.12: cannot open
            // shared object file"): the provider fails to load and the session opens on CPU instead
            final OrtSessions.Opened cuda = OrtSessions.open(model, "cuda:0", 1);
            try
            {
                assertEquals("cpu", cuda.device());
            }
            finally
            {
                cuda.session().close();
            }
        }
        assertThrows(IllegalArgumentException.class, () -> OrtSessions.checkDevice("tpu"));
        assertThrows(IllegalArgumentException.class, () -> OrtSessions.checkDevice("cuda:x"));
    }
}
