package ivbot.server.intent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.DefaultEventLoop;
import ivbot.inference.Intent;
import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.model.IntentModel;
import ivbot.inference.model.ModelPackage;
import ivbot.inference.model.Prediction;
import ivbot.inference.rules.RuleClassifier;
import ivbot.inference.rules.RuleMatch;
import ivbot.inference.train.ThresholdCalibration;
import ivbot.server.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The newest shipped package served with its OWN manifest thresholds (every other model test overrides them):
 * over the whole dev set the served classification is {@link ThresholdCalibration#decide} with those
 * thresholds, and over HTTP a handful of dev questions show both halves of the decision: confident rules
 * answer first (source {@code rules}, no {@code fallback_reason}), and below the model's threshold the
 * rules answer or the reply asks a clarifying question.
 */
@Timeout(300)
class ShippedThresholdsTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int HANDFUL = 3;

    private ModelRuntime runtime;
    private TestServer server;
    private IntentModel reference;
    private DefaultEventLoop loop;

    @AfterEach
    void stop()
    {
        if (server != null)
        {
            server.close();
        }
        if (runtime != null)
        {
            runtime.close();
        }
        if (reference != null)
        {
            reference.close();
        }
        if (loop != null)
        {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static Path newestShipped() throws Exception
    {
        try (Stream<Path> versions = Files.list(TestServer.repoRoot().resolve("models/repository/intent")))
        {
            return versions.filter(p -> !p.getFileName().toString().startsWith(".")).max(Path::compareTo).orElseThrow();
        }
    }

    @Test
    void shouldServeTheShippedDecisionWithTheShippedThresholds(@TempDir final Path repository) throws Exception
    {
        final Path shipped = newestShipped();
        final Path copy = repository.resolve(shipped.getFileName().toString());
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(shipped))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        final ModelRuntime.Settings settings = new ModelRuntime.Settings();
        settings.repository = repository;
        settings.gateData = TestServer.repoRoot().resolve("models/data/dev.tsv");
        settings.catalog = TestServer.repoRoot().resolve("models/catalog.json");
        settings.device = "cpu";
        settings.intraOpThreads = 1;
        settings.maxBatchSize = 16;
        settings.pollMs = 0;
        runtime = ModelRuntime.start(settings, () -> { });
        final IntentClassifier classifier =
            new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()), runtime.agent(), 0, 30_000, 0.9f);
        final IntentModel served = runtime.agent().model();
        final float threshold = served.threshold();
        final float rulesThreshold = served.rulesThreshold();
        assertTrue(threshold > 0 && rulesThreshold <= 1,
            "the shipped package's own thresholds: threshold=" + threshold + " rules_threshold=" + rulesThreshold);

        // the model's own view of every dev row, from a second copy owned by this thread
        final List<LabelledQuery> dev = LabelledQuery.readTsv(settings.gateData, TestServer.catalog());
        reference = ModelPackage.load(copy, TestServer.catalog(), "cpu", 1, 16);
        final RuleClassifier rules = RuleClassifier.loadDefault(TestServer.catalog());
        loop = new DefaultEventLoop();
        final List<LabelledQuery> rulesFirst = new ArrayList<>();
        final List<LabelledQuery> belowThreshold = new ArrayList<>();
        int modelAnswered = 0;
        // one query per call, as the served classifier sees them here (sequential turns are batches of one):
        // in a padded batch of 16 the quantised encoder moved one dev row across the 0.5 threshold (0.5053)
        for (int from = 0; from < dev.size(); from++)
        {
            final List<LabelledQuery> batch = dev.subList(from, from + 1);
            final List<String> texts = new ArrayList<>();
            for (final LabelledQuery q : batch)
            {
                texts.add(TextNormalizer.normalize(q.text()));
            }
            final Prediction[] predictions = new Prediction[batch.size()];
            reference.predict(texts, predictions);
            for (int i = 0; i < batch.size(); i++)
            {
                final RuleMatch match = rules.classify(batch.get(i).text());
                final Prediction p = predictions[i];
                final Intent expected = ThresholdCalibration.decide(
                    match.intent(), match.confidence(), p.intent(), p.confidence(), threshold, rulesThreshold,
                    TestServer.catalog().fallback());
                final Classification got = classifier.classify(batch.get(i).text(), loop, System.nanoTime())
                    .get(30, TimeUnit.SECONDS);
                final String row = batch.get(i).text() + " rules=" + match.intent() + "@" + match.confidence() +
                    " model=" + p.intent() + "@" + p.confidence() + " served=" + got;
                assertNull(got.fallback(), row);
                assertEquals(expected, got.standalone() == null ? TestServer.intent("out_of_scope") : got.standalone(), row);
                if (ThresholdCalibration.rulesAnswerFirst(match.intent(), match.confidence(), rulesThreshold))
                {
                    assertEquals(IntentClassifier.SOURCE_RULES, got.source(), row);
                    rulesFirst.add(batch.get(i));
                }
                else if (!ThresholdCalibration.modelTrusted(p.confidence(), threshold))
                {
                    assertEquals(IntentClassifier.SOURCE_RULES, got.source(), row);
                    belowThreshold.add(batch.get(i));
                }
                else
                {
                    assertEquals(IntentClassifier.SOURCE_MODEL, got.source(), row);
                    modelAnswered++;
                }
            }
        }
        assertTrue(rulesFirst.size() >= HANDFUL, "dev rows the rules answer first: " + rulesFirst.size());
        assertTrue(belowThreshold.size() >= HANDFUL, "dev rows under the model's threshold: " + belowThreshold.size());
        assertTrue(modelAnswered > 0, "and the model answers the rest");

        server = TestServer.start(classifier);
        final String token = TestServer.token("thresholds-user");
        for (final LabelledQuery q : rulesFirst.subList(0, HANDFUL))
        {
            final JsonNode reply = chat(token, q.text());
            assertEquals("rules", reply.path("source").asText(), reply.toString());
            assertFalse(reply.has("fallback_reason"), "rules first is no fallback: " + reply);
            assertEquals(rules.classify(q.text()).intent().id(), reply.path("intent").asText(), reply.toString());
        }
        for (final LabelledQuery q : belowThreshold.subList(0, HANDFUL))
        {
            final JsonNode reply = chat(token, q.text());
            assertEquals("rules", reply.path("source").asText(), reply.toString());
            assertFalse(reply.has("fallback_reason"), "under the threshold is no fallback: " + reply);
            final Intent ruleIntent = rules.classify(q.text()).intent();
            if (ruleIntent == null)
            {
                assertTrue(reply.path("answer").asText().startsWith("请问您想了解"), "a clarifying question: " + reply);
            }
            else
            {
                assertEquals(ruleIntent.id(), reply.path("intent").asText(), reply.toString());
            }
        }
    }

    private JsonNode chat(final String token, final String query) throws Exception
    {
        final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        final String body = JSON.writeValueAsString(JSON.createObjectNode().put("query", query));
        final HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/v1/chat"))
            .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }
}
