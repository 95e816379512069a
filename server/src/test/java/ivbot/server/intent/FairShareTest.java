package ivbot.server.intent;

import ivbot.server.TestServer;
import ivbot.inference.batch.FallbackReason;
import ivbot.inference.rules.RuleClassifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One user's flood of model requests falls back to the rules ({@code user_share}) before anyone else's turns
 * do, with the real model behind the real agent.
 */
@Timeout(120)
class FairShareTest
{
    @Test
    void shouldShedTheFloodersTurnsWhileAnotherUserStaysOnTheModel(@TempDir final Path repository) throws Exception
    {
        ModelChatTest.install(repository, "20260101-1");
        final ModelRuntime.Settings settings = ModelChatTest.settings(repository);
        final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
        try (ModelRuntime runtime = ModelRuntime.start(settings, () -> { }))
        {
            final IntentClassifier classifier = new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()), runtime.agent(), 0,
                10_000, 0.9f, false, 2);
            final List<CompletableFuture<Classification>> flood = new ArrayList<>();
            for (int i = 0; i < 40; i++)
            {
                flood.add(classifier.classify("第" + i + "个问题:年假几天", "flooder", loop, System.nanoTime()));
            }
            final Classification victim = classifier.classify("公积金比例多少", "victim", loop, System.nanoTime())
                .get(30, TimeUnit.SECONDS);
            assertEquals(IntentClassifier.SOURCE_MODEL, victim.source(), victim.toString());
            assertNull(victim.fallback(), victim.toString());
            long shed = 0;
            long modelled = 0;
            for (final CompletableFuture<Classification> turn : flood)
            {
                final Classification c = turn.get(30, TimeUnit.SECONDS);
                shed += c.fallback() == FallbackReason.USER_SHARE ? 1 : 0;
                modelled += IntentClassifier.SOURCE_MODEL.equals(c.source()) ? 1 : 0;
            }
            assertTrue(shed >= 30, "flooder turns shed to the rules: " + shed + " of 40");
            assertTrue(modelled >= 2, "the flooder's own share still reached the model: " + modelled);
            assertEquals(shed, classifier.fallbacks(FallbackReason.USER_SHARE));
            assertEquals(0, classifier.queued("flooder"), "every admitted request gave its slot back");
        }
        finally
        {
            loop.shutdownNow();
        }
    }
}
