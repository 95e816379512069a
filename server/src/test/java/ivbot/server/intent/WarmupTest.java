package ivbot.server.intent;

import com.github.benmanes.caffeine.cache.Ticker;
import ivbot.inference.rules.RuleClassifier;
import ivbot.server.ChatService;
import ivbot.server.RequestGuard;
import ivbot.server.ServerConfig;
import ivbot.server.TestServer;
import ivbot.server.Warmup;
import ivbot.server.auth.JwtAuthenticator;
import ivbot.server.auth.TokenIssuer;
import ivbot.server.dialog.DialogManager;
import ivbot.server.limit.RateLimiter;
import ivbot.server.metrics.MetricsReporter;
import ivbot.server.metrics.ServerMetrics;
import ivbot.server.session.InMemorySessionStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The warm-up runs real HTTP turns through the server's handlers, the serving classifier and model (every one
 * reaches the model: unique queries), in sessions, on its own store, within its bounds.
 */
@Timeout(120)
class WarmupTest
{
    private static final String SECRET = "a-warm-up-test-secret-0123456789abcdef";

    @Test
    void shouldSendEveryWarmupTurnThroughTheModelInSessionsOfItsOwn(@TempDir final Path repository) throws Exception
    {
        ModelChatTest.install(repository, "20260101-1");
        try (ModelRuntime runtime = ModelRuntime.start(ModelChatTest.settings(repository), () -> { });
             InMemorySessionStore store = new InMemorySessionStore(1_000, 600, Ticker.systemTicker()))
        {
            final IntentClassifier classifier = new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()),
                runtime.agent(), 1_000, 10_000, 0.9f, false);
            final ServerMetrics metrics = new ServerMetrics();
            final ChatService chat = new ChatService(store, classifier, new DialogManager(), TestServer::kb,
                System::currentTimeMillis, metrics);
            final RequestGuard guard = new RequestGuard(
                JwtAuthenticator.hmac(SECRET.getBytes(StandardCharsets.UTF_8), System::currentTimeMillis), metrics,
                RateLimiter.off(), RateLimiter.off(), Set.of(), System::currentTimeMillis);
            final MetricsReporter reporter = new MetricsReporter(metrics, classifier, store, System::nanoTime);
            final TokenIssuer issuer = new TokenIssuer(SECRET.getBytes(StandardCharsets.UTF_8));
            final long before = runtime.agent().predicted();

            final ServerConfig config = new ServerConfig();
            config.knowledgeBaseDir = TestServer.repoRoot().resolve("models/kb");
            config.conclude();
            final Warmup.Result result = Warmup.run(config, chat, guard, reporter,
                user -> issuer.issue("warmup-" + user, null, Duration.ofMinutes(1), System.currentTimeMillis()),
                List.of("年假有几天", "病假工资怎么算", "那实习生呢"), 60, 8, 60_000);

            assertEquals(60, result.turns(), result.toString());
            assertEquals(0, result.failed(), result.toString());
            assertEquals(60, runtime.agent().predicted() - before, "every warm-up turn reached the model");
            assertEquals(0, classifier.cacheHits(), "unique queries: nothing from the cache");
            // 8 users in sessions of up to 4 turns: 60 turns make at least 15 sessions and at most 15 + 8 (each
            // user's last may be short; users on two event loops need not get equal shares), where one session a turn
            // would make 60
            assertTrue(store.size() >= 15 && store.size() <= 23, "the turns were conversations: " + store.size() + " sessions");
            assertTrue(result.elapsedMs() < 60_000, result.toString());
            reporter.roll();
            assertEquals(60, reporter.snapshot().requestsTotal(), "every turn came through the HTTP handlers");

            // a server whose tokens a public key verifies: the warm-up cannot sign, so its requests are refused,
            // counted as failed, and nothing reaches the chat
            final Warmup.Result unsigned = Warmup.run(config, chat, guard, reporter, null,
                List.of("年假有几天"), 10, 2, 60_000);
            assertEquals(0, unsigned.turns(), unsigned.toString());
            assertEquals(10, unsigned.failed(), unsigned.toString());
            assertEquals(60, runtime.agent().predicted() - before);
        }
    }
}
