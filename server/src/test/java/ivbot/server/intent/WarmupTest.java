package ivbot.server.intent;

import com.github.benmanes.caffeine.cache.Ticker;
import ivbot.inference.rules.RuleClassifier;
import ivbot.server.ChatService;
import ivbot.server.TestServer;
import ivbot.server.Warmup;
import ivbot.server.dialog.DialogManager;
import ivbot.server.metrics.ServerMetrics;
import ivbot.server.session.InMemorySessionStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The warm-up runs real turns through the serving classifier and model (every one reaches the model: unique
 * queries), in sessions, on its own store, within its bounds.
 */
@Timeout(120)
class WarmupTest
{
    @Test
    void shouldSendEveryWarmupTurnThroughTheModelInSessionsOfItsOwn(@TempDir final Path repository) throws Exception
    {
        ModelChatTest.install(repository, "20260101-1");
        try (ModelRuntime runtime = ModelRuntime.start(ModelChatTest.settings(repository), () -> { });
             InMemorySessionStore store = new InMemorySessionStore(1_000, 600, Ticker.systemTicker()))
        {
            final IntentClassifier classifier = new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()),
                runtime.agent(), 1_000, 10_000, 0.9f, false);
            final ChatService chat = new ChatService(store, classifier, new DialogManager(), TestServer::kb,
                System::currentTimeMillis, new ServerMetrics());
            final long before = runtime.agent().predicted();

            final Warmup.Result result = Warmup.run(chat, List.of("年假有几天", "病假工资怎么算", "那实习生呢"), 60, 8, 60_000);

            assertEquals(60, result.turns(), result.toString());
            assertEquals(0, result.failed(), result.toString());
            assertEquals(60, runtime.agent().predicted() - before, "every warm-up turn reached the model");
            assertEquals(0, classifier.cacheHits(), "unique queries: nothing from the cache");
            // 8 users in sessions of up to 4 turns: 60 turns make 15 or 16 sessions (a user's last may be short),
            // where one session a turn would make 60
            assertTrue(store.size() >= 15 && store.size() <= 16, "the turns were conversations: " + store.size() + " sessions");
            assertTrue(result.elapsedMs() < 60_000, result.toString());
        }
    }
}
