package ivbot.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.rules.RuleClassifier;
import ivbot.server.auth.JwtAuthenticator;
import ivbot.server.auth.TokenIssuer;
import ivbot.server.dialog.DialogManager;
import ivbot.server.events.AskedStats;
import ivbot.server.events.EventLog;
import ivbot.server.events.EventSink;
import ivbot.server.events.TurnEvents;
import ivbot.server.events.TurnRecord;
import ivbot.server.events.UserHasher;
import ivbot.server.explain.Explainer;
import ivbot.server.intent.IntentClassifier;
import ivbot.server.http.StaticContent;
import ivbot.server.kb.KnowledgeBase;
import ivbot.server.metrics.MetricsReporter;
import ivbot.server.metrics.ServerMetrics;
import ivbot.server.session.InMemorySessionStore;
import ivbot.server.session.SessionStore;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A real server on an ephemeral loopback port, with the repository's knowledge base.
 */
public final class TestServer implements AutoCloseable
{
    static final byte[] SECRET = "ivbot-test-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    public static final TokenIssuer ISSUER = new TokenIssuer(SECRET);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static KnowledgeBase knowledgeBase;

    final SessionStore store;
    final ChatService chat;
    final IvbotServer server;
    final MetricsReporter reporter;
    final Explainer explainer;
    private EventLog<TurnRecord> eventLog;

    private TestServer(final SessionStore store, final ServerConfig config, final IntentClassifier classifier,
        final StaticContent pages)
    {
        this(store, config, classifier, pages, record -> { });
    }

    private TestServer(final SessionStore store, final ServerConfig config, final IntentClassifier classifier,
        final StaticContent pages, final java.util.function.Consumer<ivbot.server.events.TurnRecord> events)
    {
        this(store, config, classifier, pages, events, TestServer::kb);
    }

    private TestServer(final SessionStore store, final ServerConfig config, final IntentClassifier classifier,
        final StaticContent pages, final java.util.function.Consumer<ivbot.server.events.TurnRecord> events,
        final java.util.function.Supplier<KnowledgeBase> knowledgeBase)
    {
        this(store, config, classifier, pages, events, knowledgeBase, null);
    }

    private TestServer(final SessionStore store, final ServerConfig config, final IntentClassifier classifier,
        final StaticContent pages, final java.util.function.Consumer<ivbot.server.events.TurnRecord> events,
        final java.util.function.Supplier<KnowledgeBase> knowledgeBase,
        final java.util.function.Function<ServerMetrics, Explainer> explainers)
    {
        this.store = store;
        final ServerMetrics metrics = new ServerMetrics();
        this.explainer = explainers == null ? null : explainers.apply(metrics);
        this.chat = new ChatService(store, classifier, new DialogManager(), knowledgeBase, System::currentTimeMillis,
            metrics, events, explainer);
        this.reporter = new MetricsReporter(metrics, classifier, store, System::nanoTime);
        if (explainer != null)
        {
            explainer.register(reporter);
        }
        try
        {
            final JwtAuthenticator authenticator = JwtAuthenticator.hmac(SECRET, System::currentTimeMillis);
            this.server = new IvbotServer(config, chat, reporter, authenticator,
                pages == null ? new StaticContent(null) : pages).start();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    public static IntentClassifier rulesOnlyClassifier()
    {
        return rulesOnly();
    }

    static IntentClassifier rulesOnly()
    {
        return new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()), null, 0, 200, 0.9f);
    }

    public static TestServer start()
    {
        return start(new InMemorySessionStore(10_000, 600, Ticker.systemTicker()), new ServerConfig());
    }

    public static TestServer start(final IntentClassifier classifier)
    {
        return start(new InMemorySessionStore(10_000, 600, Ticker.systemTicker()), new ServerConfig(), classifier, null);
    }

    public static TestServer start(final SessionStore store, final ServerConfig config)
    {
        return start(store, config, rulesOnly(), null);
    }

    /**
     * A server with the in-process store whose chat page carries {@code devToken}, as in dev mode, with turn events
     * counted for the operator page ({@code /v1/ops/asked}) and written nowhere else.
     */
    public static TestServer startWithDevToken(final String devToken)
    {
        final AskedStats asked = new AskedStats(new DiscardSink(), System::currentTimeMillis);
        final EventLog<TurnRecord> log = new EventLog<>(new TurnEvents(new UserHasher(SECRET)), asked, 4096, 5);
        final ServerConfig config = unlimitedConfig();
        final TestServer server = new TestServer(new InMemorySessionStore(10_000, 600, Ticker.systemTicker()),
            config.conclude(), rulesOnly(), new StaticContent(devToken), log::offer);
        server.reporter.asked(asked);
        server.eventLog = log;
        return server;
    }

    /**
     * @return settings for a test server on an ephemeral loopback port, two event loops, the repository's knowledge
     *     base, and no per-user, per-address or connection limits.
     */
    private static ServerConfig unlimitedConfig()
    {
        final ServerConfig config = new ServerConfig();
        config.userRatePerSecond = 0;
        config.addressRatePerSecond = 0;
        config.maxConnectionsPerAddress = Integer.MAX_VALUE;
        config.host = "127.0.0.1";
        config.port = 0;
        config.ioThreads = 2;
        config.knowledgeBaseDir = repoRoot().resolve("models/kb");
        return config;
    }

    /**
     * An event sink that keeps nothing: for an {@link AskedStats} whose events need go nowhere else.
     */
    public static final class DiscardSink implements EventSink
    {
        @Override
        public void write(final java.util.List<ivbot.proto.TurnEvent> events)
        {
        }

        @Override
        public String describe()
        {
            return "nowhere";
        }

        @Override
        public void close()
        {
        }
    }

    /**
     * A server whose per-user and per-address limits stay as {@code config} sets them (the other starts turn
     * them off, so that tests which pump load from one user and one address measure what they mean to).
     */
    public static TestServer startWithLimits(final SessionStore store, final ServerConfig config,
        final IntentClassifier classifier)
    {
        return start0(store, config, classifier, null);
    }

    private static TestServer start(final SessionStore store, final ServerConfig config,
        final IntentClassifier classifier, final StaticContent pages)
    {
        config.userRatePerSecond = 0;
        config.addressRatePerSecond = 0;
        config.maxConnectionsPerAddress = Integer.MAX_VALUE;
        return start0(store, config, classifier, pages);
    }

    /**
     * A rules-only server on the in-process store whose turns go to {@code events}, as {@code serve} wires its
     * event log.
     */
    public static TestServer startWithEvents(final java.util.function.Consumer<ivbot.server.events.TurnRecord> events)
    {
        final ServerConfig config = new ServerConfig();
        config.userRatePerSecond = 0;
        config.addressRatePerSecond = 0;
        config.host = "127.0.0.1";
        config.port = 0;
        config.ioThreads = 2;
        config.knowledgeBaseDir = repoRoot().resolve("models/kb");
        return new TestServer(new InMemorySessionStore(10_000, 600, Ticker.systemTicker()), config.conclude(), rulesOnly(),
            null, events);
    }

    /**
     * A rules-only server on the in-process store whose answers come from {@code knowledgeBase} (a test's
     * supplier that throws stands for a bug in a turn's logic).
     */
    public static TestServer startWithKnowledgeBase(final java.util.function.Supplier<KnowledgeBase> knowledgeBase)
    {
        return start(new InMemorySessionStore(10_000, 600, Ticker.systemTicker()), rulesOnly(), knowledgeBase);
    }

    /**
     * A server on {@code store} whose turns are classified by {@code classifier} and answered from
     * {@code knowledgeBase} (e.g. {@code ServingSnapshots::knowledgeBase}, replaced with the catalog).
     */
    public static TestServer start(final SessionStore store, final IntentClassifier classifier,
        final java.util.function.Supplier<KnowledgeBase> knowledgeBase)
    {
        final ServerConfig config = new ServerConfig();
        config.userRatePerSecond = 0;
        config.addressRatePerSecond = 0;
        config.host = "127.0.0.1";
        config.port = 0;
        config.ioThreads = 2;
        config.knowledgeBaseDir = repoRoot().resolve("models/kb");
        return new TestServer(store, config.conclude(), classifier, null, record -> { }, knowledgeBase);
    }

    /**
     * A server on the in-process store with {@code classifier} and the explainer {@code explainers} makes on
     * the server's metrics (closed with the server).
     */
    public static TestServer startWithExplainer(final IntentClassifier classifier,
        final java.util.function.Function<ServerMetrics, Explainer> explainers)
    {
        return startWithExplainer(classifier, explainers, null);
    }

    /**
     * As {@link #startWithExplainer(IntentClassifier, java.util.function.Function)}, with a chat page that
     * carries {@code devToken} (or none when {@code null}), as in dev mode.
     */
    public static TestServer startWithExplainer(final IntentClassifier classifier,
        final java.util.function.Function<ServerMetrics, Explainer> explainers, final String devToken)
    {
        final ServerConfig config = unlimitedConfig();
        return new TestServer(new InMemorySessionStore(10_000, 600, Ticker.systemTicker()), config.conclude(), classifier,
            new StaticContent(devToken), record -> { }, TestServer::kb, explainers);
    }

    private static TestServer start0(final SessionStore store, final ServerConfig config,
        final IntentClassifier classifier, final StaticContent pages)
    {
        config.host = "127.0.0.1";
        config.port = 0;
        config.ioThreads = 2;
        config.knowledgeBaseDir = repoRoot().resolve("models/kb");
        return new TestServer(store, config.conclude(), classifier, pages);
    }

    /**
     * @return the server's metrics reporter (tests call {@code roll()} instead of waiting for an interval).
     */
    public ChatService chat()
    {
        return chat;
    }

    public MetricsReporter reporter()
    {
        return reporter;
    }

    public int port()
    {
        return server.port();
    }

    /**
     * Sends one chat turn over a real HTTP/1.1 connection and checks that it is answered with 200.
     *
     * @param client an HTTP/1.1 client.
     * @param token  the caller's bearer token.
     * @param body   the JSON request body.
     * @return the reply.
     * @throws IOException          when the exchange fails.
     * @throws InterruptedException when interrupted.
     */
    public JsonNode chat(final HttpClient client, final String token, final String body)
        throws IOException, InterruptedException
    {
        final HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port() + "/v1/chat"))
            .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    /**
     * @param soTimeoutMs how long a read may block, in milliseconds.
     * @return a new socket connected to this server on loopback.
     * @throws IOException when it cannot connect.
     */
    public java.net.Socket connect(final int soTimeoutMs) throws IOException
    {
        final java.net.Socket socket = new java.net.Socket("127.0.0.1", port());
        socket.setSoTimeout(soTimeoutMs);
        return socket;
    }

    public static String token(final String subject)
    {
        return ISSUER.issue(subject, null, Duration.ofHours(1), System.currentTimeMillis());
    }

    /**
     * @return the repository's catalog, {@code models/catalog.json} (the one {@link #kb()} is loaded against).
     */
    public static IntentCatalog catalog()
    {
        return kb().catalog();
    }

    /**
     * @param id an intent id of the repository's catalog.
     * @return the intent.
     */
    public static Intent intent(final String id)
    {
        return java.util.Objects.requireNonNull(catalog().fromId(id), () -> "no intent '" + id + "' in models/catalog.json");
    }

    /** @return the repository's knowledge base on its catalog, loaded once. */
    public static synchronized KnowledgeBase kb()
    {
        if (knowledgeBase == null)
        {
            try
            {
                knowledgeBase = KnowledgeBase.load(repoRoot().resolve("models/kb"),
                    IntentCatalog.load(repoRoot().resolve("models/catalog.json")));
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
        return knowledgeBase;
    }

    public static Path repoRoot()
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
        if (eventLog != null)
        {
            eventLog.close();
        }
        if (explainer != null)
        {
            explainer.close();
        }
        store.close();
    }
}
