package ivbot.server;

import com.github.benmanes.caffeine.cache.Ticker;
import ivbot.inference.rules.RuleClassifier;
import ivbot.server.auth.JwtAuthenticator;
import ivbot.server.auth.TokenIssuer;
import ivbot.server.dialog.DialogManager;
import ivbot.server.kb.KnowledgeBase;
import ivbot.server.session.InMemorySessionStore;
import ivbot.server.session.SessionStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real server on an ephemeral loopback port, with the repository's knowledge base.
 */
final class TestServer implements AutoCloseable
{
    static final byte[] SECRET = "ivbot-test-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    static final TokenIssuer ISSUER = new TokenIssuer(SECRET);

    private static KnowledgeBase knowledgeBase;

    final SessionStore store;
    final ChatService chat;
    final IvbotServer server;

    private TestServer(final SessionStore store, final ServerConfig config)
    {
        this.store = store;
        this.chat = new ChatService(store, RuleClassifier.loadDefault(), new DialogManager(), TestServer::kb,
            System::currentTimeMillis);
        try
        {
            this.server = new IvbotServer(config, chat, JwtAuthenticator.hmac(SECRET, System::currentTimeMillis)).start();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    static TestServer start()
    {
        return start(new InMemorySessionStore(10_000, 600, Ticker.systemTicker()), new ServerConfig());
    }

    static TestServer start(final SessionStore store, final ServerConfig config)
    {
        config.host = "127.0.0.1";
        config.port = 0;
        config.ioThreads = 2;
        config.knowledgeBaseDir = repoRoot().resolve("models/kb");
        return new TestServer(store, config.conclude());
    }

    int port()
    {
        return server.port();
    }

    static String token(final String subject)
    {
        return ISSUER.issue(subject, null, Duration.ofHours(1), System.currentTimeMillis());
    }

    static synchronized KnowledgeBase kb()
    {
        if (knowledgeBase == null)
        {
            try
            {
                knowledgeBase = KnowledgeBase.load(repoRoot().resolve("models/kb"));
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
        return knowledgeBase;
    }

    static Path repoRoot()
    {
        final String configured = System.getProperty("ivbot.repo.root");
        Path dir = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("models/kb")))
        {
            dir = dir.getParent();
        }
        if (dir == null)
        {
            throw new IllegalStateException("repository root with models/kb not found");
        }
        return dir;
    }

    @Override
    public void close()
    {
        server.close();
        store.close();
    }
}
