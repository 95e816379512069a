package ivbot.inference.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ivbot.inference.TextNormalizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link IntentModel#occlude} and {@link IntentModel#probabilities} on the real frozen-encoder package.
 * <p>
 * The int8 encoder quantises its activations with one range per batch (dynamic quantisation), so a row's
 * probabilities move a little with the rows run beside it: about 1e-3 for a sure turn, a few hundredths for an
 * unsure one. Comparisons across batches allow for that ({@link #BATCH_NOISE}).
 */
@Timeout(120)
class OcclusionTest
{
    private static final double BATCH_NOISE = 0.005;
    private static IntentModel model;

    @BeforeAll
    static void load() throws Exception
    {
        // a small max batch, so that the masked copies of a long text take several ONNX Runtime calls
        model = ModelPackage.load(Models.headPackage(), Models.catalog(), "cpu", 1, 8);
    }

    @AfterAll
    static void close()
    {
        model.close();
    }

    private static List<String> tokens(final Occlusion occlusion)
    {
        final List<String> tokens = new ArrayList<>();
        for (int i = 0; i < occlusion.tokenCount(); i++)
        {
            tokens.add(occlusion.token(i));
        }
        return tokens;
    }

    @Test
    void shouldGiveTheBatchPathsProbabilitiesForTheTurnAsItIs() throws Exception
    {
        final String text = TextNormalizer.normalize("年假有几天");
        final Occlusion occlusion = model.occlude(null, text, 64);
        final float[] batch = new float[model.labelCount() * 2];
        // padded beside a longer row, as in a served batch
        model.probabilities(null, List.of(text, "校招生的三方协议什么时候签"), batch);
        double sum = 0;
        for (int label = 0; label < model.labelCount(); label++)
        {
            assertEquals(batch[label], occlusion.probability(label), BATCH_NOISE, model.labelId(label));
            sum += occlusion.probability(label);
        }
        assertEquals(1.0, sum, 1e-4);
        assertEquals("leave_annual", occlusion.labelId(occlusion.best()));
        final Prediction[] out = new Prediction[1];
        model.predict(List.of(text), out);
        assertEquals(out[0].confidence(), occlusion.probability(occlusion.best()), BATCH_NOISE);
        assertEquals(List.of("年", "假", "有", "几", "天"), tokens(occlusion));
        for (int token = 0; token < occlusion.tokenCount(); token++)
        {
            assertEquals(occlusion.probability(3) - occlusion.maskedProbability(token, 3), occlusion.saliency(token, 3), 1e-6);
        }
    }

    @Test
    void shouldShowWordPiecesWithoutTheirHashes() throws Exception
    {
        final Occlusion occlusion = model.occlude(null, TextNormalizer.normalize("offer什么时候发"), 64);
        final List<String> tokens = tokens(occlusion);
        assertTrue(String.join("", tokens).startsWith("offer"), tokens.toString());
        assertTrue(tokens.stream().noneMatch(t -> t.startsWith("##")), tokens.toString());
        assertEquals(List.of("什", "么", "时", "候", "发"), tokens.subList(tokens.size() - 5, tokens.size()));
    }

    @Test
    void shouldMaskAtMostMaxTokensAcrossSeveralBatches() throws Exception
    {
        final String text = "年假".repeat(50);
        final Occlusion capped = model.occlude(null, text, 64);
        assertEquals(64, capped.tokenCount());
        final Occlusion few = model.occlude(null, text, 3);
        assertEquals(3, few.tokenCount());
        // the rows of the first batch and of later ones are computed the same way
        for (int label = 0; label < model.labelCount(); label++)
        {
            assertEquals(few.maskedProbability(2, label), capped.maskedProbability(2, label), BATCH_NOISE);
            assertEquals(capped.maskedProbability(0, label), capped.maskedProbability(62, label), 0.05,
                "masking a 年 early or late changes little in a text of 50 年假");
        }
    }

    @Test
    void shouldMaskOnlyTheTextOfASentencePair(@TempDir final Path repository) throws Exception
    {
        final Path pkg = repository.resolve("20260101-1");
        Models.copy(Models.headPackage(), pkg);
        final ObjectMapper json = new ObjectMapper();
        final ObjectNode manifest = (ObjectNode)json.readTree(pkg.resolve(ModelPackage.MANIFEST).toFile());
        json.writeValue(pkg.resolve(ModelPackage.MANIFEST).toFile(), manifest.put("context", ModelPackage.CONTEXT_TOPIC));
        try (IntentModel pair = ModelPackage.load(pkg, Models.catalog(), "cpu", 1, 8))
        {
            assertTrue(pair.readsContext());
            final Occlusion occlusion = pair.occlude("年假", "那病假呢", 64);
            assertEquals(List.of("那", "病", "假", "呢"), tokens(occlusion), "the context is not masked");
            final float[] probabilities = new float[pair.labelCount()];
            pair.probabilities(List.of("年假"), List.of("那病假呢"), probabilities);
            // an unsure turn (a frozen encoder never trained on pairs): the batch moves it by a few hundredths
            for (int label = 0; label < pair.labelCount(); label++)
            {
                assertEquals(probabilities[label], occlusion.probability(label), 0.1, pair.labelId(label));
            }
            final Occlusion alone = pair.occlude(null, "那病假呢", 64);
            assertEquals(List.of("那", "病", "假", "呢"), tokens(alone));
            assertNotEquals(occlusion.probability(alone.best()), alone.probability(alone.best()),
                "the context reaches the model");
        }
    }
}
