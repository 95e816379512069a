package ivbot.server.intent;

import ivbot.server.TestServer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ivbot.inference.rules.RuleClassifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A package's {@code topic_confidence} decides, in place of the server's {@code --topic-confidence}, whether
 * a confident model answer to a turn the rules see no topic in names a new topic: a fine-tuned model that is
 * sure of follow-ups ("那实习生呢") must not pull the conversation off its topic. The model's answer also
 * carries its margin over the runner-up.
 */
@Timeout(120)
class PackageTopicConfidenceTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Classification classify(final Path repository, final String version, final double topicConfidence,
        final ScheduledExecutorService loop) throws Exception
    {
        ModelChatTest.install(repository, version);
        final Path manifest = repository.resolve(version).resolve("manifest.json");
        final ObjectNode node = (ObjectNode)JSON.readTree(manifest.toFile());
        node.put("topic_confidence", topicConfidence);
        Files.writeString(manifest, JSON.writeValueAsString(node));
        try (ModelRuntime runtime = ModelRuntime.start(ModelChatTest.settings(repository), () -> { }))
        {
            // the server's own setting (0.0: any trusted model answer names a topic) is what the package overrides
            final IntentClassifier classifier = new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()), runtime.agent(), 0,
                10_000, 0.0f, false);
            return classifier.classify("那实习生呢", "u", loop, System.nanoTime()).get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldLetThePackageDecideWhenAModelAnswerNamesATopic(@TempDir final Path a, @TempDir final Path b)
        throws Exception
    {
        final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
        try
        {
            final Classification always = classify(a, "20260101-1", 0.0, loop);
            assertEquals(IntentClassifier.SOURCE_MODEL, always.source(), always.toString());
            assertNotNull(always.named(), "topic_confidence 0: the model's answer names the topic " + always);
            assertTrue(always.margin() >= 0 && always.margin() <= always.confidence(), always.toString());
            final Classification never = classify(b, "20260101-2", 1.01, loop);
            assertEquals(IntentClassifier.SOURCE_MODEL, never.source(), never.toString());
            assertNull(never.named(), "topic_confidence above 1: the turn keeps the conversation's topic " + never);
            assertEquals(always.standalone(), never.standalone(), "the model's answer itself is the same");
        }
        finally
        {
            loop.shutdownNow();
        }
    }
}
