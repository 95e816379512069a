package ivbot.server.cli;

import com.github.benmanes.caffeine.cache.Ticker;
import ivbot.inference.eval.LabelledQuery;
import ivbot.server.ChatService;
import ivbot.server.IvbotServer;
import ivbot.server.RequestGuard;
import ivbot.server.ServerConfig;
import ivbot.server.Warmup;
import ivbot.server.auth.JwtAuthenticator;
import ivbot.server.auth.JwtSecrets;
import ivbot.server.auth.Principal;
import ivbot.server.auth.TokenIssuer;
import ivbot.server.dialog.DialogManager;
import ivbot.server.events.AskedStats;
import ivbot.server.events.ClickHouseAsked;
import ivbot.server.events.EventLog;
import ivbot.server.events.EventSink;
import ivbot.server.events.KafkaSink;
import ivbot.server.events.JsonLinesFileSink;
import ivbot.server.events.TurnEvents;
import ivbot.server.events.TurnRecord;
import ivbot.server.events.UserHasher;
import ivbot.server.http.StaticContent;
import ivbot.server.intent.CanaryController;
import ivbot.server.metrics.JmxExporter;
import ivbot.server.metrics.MetricsReporter;
import ivbot.server.metrics.ServerMetrics;
import ivbot.server.kb.ServingSnapshots;
import ivbot.server.limit.RateLimiter;
import ivbot.server.session.InMemorySessionStore;
import ivbot.server.session.SessionStores;
import ivbot.server.session.SessionStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ivbot serve}: runs the server until SIGTERM or SIGINT, then shuts down gracefully.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the chat server.")
final class ServeCommand implements Callable<Integer>
{
    @Option(names = "--host", description = "Bind address (default: 0.0.0.0, with --dev 127.0.0.1).")
    String host;

    @Option(names = "--dev", description = "Dev mode: without IVBOT_JWT_SECRET, make a dev secret and put a dev token (roles: ops) in the chat page for clients on this machine; binds loopback only.")
    boolean dev;

    @Option(names = "--port", defaultValue = "8080", description = "Port for HTTP and protobuf (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--io-threads", defaultValue = "0", description = "Event-loop threads, 0 = cores (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    @Option(names = "--redis", description = "redis://host:port (rediss:// for TLS), redis-sentinel://host:port[,host:port]#master or redis-cluster://host:port[,host:port...]; in-process store when absent.")
    String redis;

    @Option(names = "--redis-timeout-ms", defaultValue = "1000", description = "Redis command timeout (default: ${DEFAULT-VALUE}).")
    long redisTimeoutMs;

    @Option(names = "--session-ttl", defaultValue = "600", description = "Session TTL in seconds (default: ${DEFAULT-VALUE}).")
    int sessionTtl;

    @Option(names = "--max-sessions", defaultValue = "1000000", description = "In-process store bound (default: ${DEFAULT-VALUE}).")
    long maxSessions;

    @Option(names = "--kb", defaultValue = "${sys:ivbot.home:-.}/models/kb", description = "Knowledge-base directory (default: ${DEFAULT-VALUE}).")
    Path kb;

    @Option(names = "--kb-poll-ms", defaultValue = "2000", description = "Knowledge-base change polling, 0 = off (default: ${DEFAULT-VALUE}).")
    long kbPollMs;

    @Option(names = "--max-pipelined", defaultValue = "64", description = "Queued requests per connection (default: ${DEFAULT-VALUE}).")
    int maxPipelined;

    @Option(names = "--idle-timeout-s", defaultValue = "60", description = "Close connections idle this long (default: ${DEFAULT-VALUE}).")
    int idleTimeout;

    @Option(names = "--jwt-public-key", description = "PEM public key (RSA: RS256, EC: ES256) instead of the HS256 secret.")
    Path jwtPublicKey;

    @Option(names = "--dev-secret-file", description = "Dev secret file used when IVBOT_JWT_SECRET is unset (default: $IVBOT_STATE_DIR/dev-jwt-secret, else ~/.ivbot/dev-jwt-secret).")
    Path devSecretFile;

    @Option(names = "--request-timeout-ms", defaultValue = "10000", description = "How long one request may take to arrive, from its first byte (default: ${DEFAULT-VALUE}).")
    long requestTimeoutMs;

    @Option(names = "--shutdown-timeout-ms", defaultValue = "5000", description = "How long SIGTERM waits for requests in flight (default: ${DEFAULT-VALUE}).")
    long shutdownTimeoutMs;

    @Option(names = "--max-connections", defaultValue = "10000", description = "Connections beyond this are closed at once (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--max-connections-per-address", defaultValue = "256", description = "Connections from one client address beyond this are closed at once; trusted proxies are exempt (default: ${DEFAULT-VALUE}).")
    int maxConnectionsPerAddress;

    @Option(names = "--rate-per-user", defaultValue = "10", description = "Requests a second one user (token sub) may make on average, 0 = no limit; over it: 429 with Retry-After (default: ${DEFAULT-VALUE}).")
    double ratePerUser;

    @Option(names = "--burst-per-user", defaultValue = "30", description = "Requests one user may make at once (default: ${DEFAULT-VALUE}).")
    int burstPerUser;

    @Option(names = "--rate-per-address", defaultValue = "200", description = "Requests a second one client address may make on average, 0 = no limit (default: ${DEFAULT-VALUE}).")
    double ratePerAddress;

    @Option(names = "--burst-per-address", defaultValue = "400", description = "Requests one client address may make at once (default: ${DEFAULT-VALUE}).")
    int burstPerAddress;

    @Option(names = "--max-sessions-per-user", defaultValue = "16", description = "Sessions one user holds; a new one evicts that user's oldest, whose next turn says context_lost (default: ${DEFAULT-VALUE}).")
    int maxSessionsPerUser;

    @Option(names = "--trusted-proxy", split = ",", description = "Reverse proxy address(es) whose X-Forwarded-For names the client (for the per-address limits).")
    List<String> trustedProxies = new ArrayList<>();

    @Option(names = "--warmup-turns", defaultValue = "2000", description = "Synthetic HTTP turns through the server's own handlers and the model path (the --gate-data questions, a private session store, in-VM connections) before the port opens, so the first candidates do not wait for the JIT; 0 = none (default: ${DEFAULT-VALUE}).")
    int warmupTurns;

    @Option(names = "--warmup-max-ms", defaultValue = "30000", description = "The warm-up's time limit (default: ${DEFAULT-VALUE}).")
    long warmupMaxMs;

    @Option(names = "--jmx-port", defaultValue = "0", description = "Serve remote JMX on 127.0.0.1 at this port, 0 = off (default: ${DEFAULT-VALUE}).")
    int jmxPort;

    @Option(names = "--events", defaultValue = "files", description = "Turn events: files (JSON lines in --events-dir, rotated daily and by size), kafka://host:port[,host:port...]/topic (keyed by session), or off (default: ${DEFAULT-VALUE}).")
    String events;

    @Option(names = "--events-kafka-buffer-mb", defaultValue = "32", description = "With Kafka: events held while it is away; past it they are dropped and counted (default: ${DEFAULT-VALUE}).")
    long eventsKafkaBufferMb;

    @Option(names = "--events-dir", description = "Folder of the turn-event files (default: $IVBOT_STATE_DIR/events, else ~/.ivbot/events).")
    Path eventsDir;

    @Option(names = "--events-max-file-mb", defaultValue = "100", description = "A turn-event file past this size is rotated (default: ${DEFAULT-VALUE}).")
    long eventsMaxFileMb;

    @Option(names = "--events-retention-days", defaultValue = "7", description = "Turn-event files older than this many days are deleted (default: ${DEFAULT-VALUE}).")
    int eventsRetentionDays;

    @Option(names = "--analytics", description = "ClickHouse's HTTP address (http://host:port) that the analytics job fills: the operator page's \"什么在被问\" panel reads every instance's turns from it (default: this server's own turns).")
    URI analytics;

    @Option(names = "--events-queue", defaultValue = "65536", description = "Turn events held for the writer; past it they are dropped and counted (default: ${DEFAULT-VALUE}).")
    int eventsQueue;

    @Option(names = "--metrics-interval-ms", defaultValue = "1000", description = "How often interval histograms are taken (default: ${DEFAULT-VALUE}).")
    long metricsIntervalMs;

    @Mixin
    ModelOptions model;

    private static final long EVENTS_IDLE_MS = 50;

    private String devToken;
    private KafkaSink kafka;
    private AskedStats asked;
    // the HMAC secret tokens are verified with, or null with a public key: the warm-up signs its users' tokens with it
    private byte[] hmacSecret;

    @Override
    public Integer call() throws Exception
    {
        final ServerConfig config = new ServerConfig();
        config.host = host != null ? host : dev ? "127.0.0.1" : "0.0.0.0";
        config.dev = dev;
        config.maxConnectionsPerAddress = maxConnectionsPerAddress;
        config.userRatePerSecond = ratePerUser;
        config.userBurst = burstPerUser;
        config.addressRatePerSecond = ratePerAddress;
        config.addressBurst = burstPerAddress;
        config.maxSessionsPerUser = maxSessionsPerUser;
        config.trustedProxies = trustedProxies;
        config.port = port;
        config.ioThreads = ioThreads;
        config.redisUri = redis;
        config.redisTimeoutMs = redisTimeoutMs;
        config.sessionTtlSeconds = sessionTtl;
        config.maxSessions = maxSessions;
        config.knowledgeBaseDir = kb;
        config.knowledgeBasePollMs = kbPollMs;
        config.maxPipelined = maxPipelined;
        config.idleTimeoutSeconds = idleTimeout;
        config.metricsIntervalMs = metricsIntervalMs;
        config.requestTimeoutMs = requestTimeoutMs;
        config.maxConnections = maxConnections;
        config.shutdownTimeoutMs = shutdownTimeoutMs;
        final JwtAuthenticator authenticator;
        try
        {
            config.conclude();
            if (!"files".equals(events) && !"off".equals(events) && !events.startsWith("kafka://"))
            {
                throw new IllegalArgumentException("--events=" + events + " (expected: files, off or " + KafkaSink.FORM + ")");
            }
            if (events.startsWith("kafka://"))
            {
                KafkaSink.parse(events);
            }
            authenticator = authenticator();
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("ivbot: " + ex.getMessage());
            return 2;
        }

        if (authenticator == null)
        {
            return 2;
        }
        // the catalog, the rules and the knowledge base, checked against each other; replaced together
        final ServingSnapshots snapshots = model.snapshots(config.knowledgeBaseDir, config.knowledgeBasePollMs);
        final SessionStore store = config.redisUri == null ?
            new InMemorySessionStore(config.maxSessions, config.sessionTtlSeconds, config.maxSessionsPerUser,
                Ticker.systemTicker()) :
            SessionStores.open(config.redisUri, config.sessionTtlSeconds, config.maxSessionsPerUser,
                Duration.ofMillis(config.redisTimeoutMs), snapshots::intent);
        final ServerMetrics serverMetrics = new ServerMetrics();
        final ModelOptions.Started started = model.start(config.ioThreads, snapshots, serverMetrics);
        final EventLog<TurnRecord> eventLog = eventLog();
        final ChatService chat = new ChatService(store, started.classifier(), new DialogManager(), snapshots::knowledgeBase,
            System::currentTimeMillis, serverMetrics, eventLog == null ? record -> { } : eventLog::offer,
            started.explainer());
        final MetricsReporter reporter = new MetricsReporter(serverMetrics, started.classifier(), store, System::nanoTime);
        if (started.explainer() != null)
        {
            started.explainer().register(reporter);
        }
        if (eventLog != null)
        {
            reporter.asked(analytics == null ? asked :
                new ClickHouseAsked(analytics, asked, System::currentTimeMillis, () -> snapshots.knowledgeBase().catalog().fallback().id()));
            reporter
                .register("ivbot_events_total", "counter", "Turn events by outcome: written, dropped (queue full), failed (sink).",
                    "outcome=\"written\"", eventLog::written)
                .register("ivbot_events_total", "counter", "", "outcome=\"dropped\"", eventLog::dropped)
                .register("ivbot_events_total", "counter", "", "outcome=\"failed\"", eventLog::failed);
            if (kafka != null)
            {
                final KafkaSink k = kafka;
                reporter
                    .register("ivbot_events_kafka_total", "counter",
                        "Turn events given to Kafka by outcome: acknowledged, failed (not acknowledged in time), refused (buffer full).",
                        "outcome=\"acknowledged\"", k::acknowledged)
                    .register("ivbot_events_kafka_total", "counter", "", "outcome=\"failed\"", k::failed)
                    .register("ivbot_events_kafka_total", "counter", "", "outcome=\"refused\"", k::refused);
            }
        }
        if (started.runtime() != null && started.runtime().canary() != null)
        {
            registerCanary(reporter, started.runtime().canary());
        }
        if (warmupTurns > 0 && started.runtime() != null && started.runtime().agent().model() != null)
        {
            warmUp(config, started, snapshots, authenticator);
        }
        // in dev mode the chat page carries the dev token, for clients on this machine only
        final IvbotServer server = new IvbotServer(config, chat, reporter, authenticator, new StaticContent(devToken)).start();
        final JmxExporter jmx = new JmxExporter(reporter, JmxExporter.platform()).register();
        if (started.runtime() != null)
        {
            jmx.repository(started.runtime().repository());
            final CanaryController canary = started.runtime().canary();
            if (canary != null)
            {
                jmx.canary(canary);
            }
        }
        if (jmxPort > 0)
        {
            jmx.serveRemote(jmxPort);
        }

        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            server.close();
            jmx.close();
            if (started.explainer() != null)
            {
                started.explainer().close();
            }
            if (started.runtime() != null)
            {
                started.runtime().close();
            }
            snapshots.close();
            store.close();
            if (eventLog != null)
            {
                eventLog.close();
            }
            stopped.countDown();
        }, "ivbot-shutdown"));
        stopped.await();
        return 0;
    }

    private void warmUp(final ServerConfig config, final ModelOptions.Started started, final ServingSnapshots snapshots,
        final JwtAuthenticator authenticator) throws Exception
    {
        final List<String> questions = new ArrayList<>();
        // the gate set the model runtime has read already
        for (final LabelledQuery row : started.runtime().repository().gateSet())
        {
            questions.add(row.text());
        }
        if (questions.isEmpty())
        {
            return;
        }
        try (InMemorySessionStore store = new InMemorySessionStore(10_000, 600, Ticker.systemTicker()))
        {
            // the serving classifier and model behind the server's own HTTP handlers, on a private store and metrics,
            // without turn events or rate limits: nothing of it reaches a real session, a figure or an event
            final ServerMetrics metrics = new ServerMetrics();
            final ChatService chat = new ChatService(store, started.classifier(), new DialogManager(),
                snapshots::knowledgeBase, System::currentTimeMillis, metrics);
            final RequestGuard guard = new RequestGuard(authenticator, metrics,
                RateLimiter.off(), RateLimiter.off(), Set.of(),
                System::currentTimeMillis);
            final MetricsReporter reporter = new MetricsReporter(metrics, started.classifier(), store, System::nanoTime);
            final TokenIssuer issuer = hmacSecret == null ? null : new TokenIssuer(hmacSecret);
            final Warmup.Result result = Warmup.run(config, chat, guard, reporter, issuer == null ? null :
                    user -> issuer.issue("warmup-" + user, null, Duration.ofMinutes(10), System.currentTimeMillis()),
                questions, warmupTurns, 16, warmupMaxMs);
            started.classifier().clearCache();
            System.out.println("ivbot: warmed up the serving path with " + result.turns() + " HTTP turns in "
                + result.elapsedMs() + " ms" + (result.failed() > 0 ? " (" + result.failed() + " refused or failed"
                + (issuer == null ? ": tokens are verified with a public key, the warm-up cannot sign one)" : ")") : ""));
        }
    }

    private static void registerCanary(final MetricsReporter reporter, final CanaryController canary)
    {
        reporter
            .register("ivbot_canary_state", "gauge", "Canary release state: 0 idle (one version), 1 soaking, 2 paused.", "",
                () -> canary.status().state().ordinal())
            .register("ivbot_canary_promotions_total", "counter", "Candidates promoted to stable.", "", canary::promotions)
            .register("ivbot_canary_shadowed_total", "counter",
                "Stable-cohort queries the candidate also scored (shadow), since the candidate arrived.", "",
                canary::shadowed)
            .register("ivbot_canary_shadow_agreed_total", "counter",
                "Shadowed queries on which the candidate agreed with stable, since the candidate arrived.", "",
                canary::shadowAgreed);
        for (final String reason : CanaryController.ROLLBACK_REASONS)
        {
            reporter.register("ivbot_canary_rollbacks_total", "counter",
                "Candidates rolled back, by reason: p99, fallback, errors, agreement (automatic), operator.",
                "reason=\"" + reason + "\"", () -> canary.rollbacks(reason));
        }
        for (final String cohort : new String[] {"stable", "canary"})
        {
            final boolean isCanary = "canary".equals(cohort);
            reporter
                .register("ivbot_canary_turns_total", "counter", "Model turns by cohort since the candidate arrived.",
                    "cohort=\"" + cohort + "\"", () -> canary.cohort(isCanary).turns())
                .register("ivbot_canary_model_p99_us", "gauge", "Model-stage P99 by cohort since the candidate arrived, microseconds.",
                    "cohort=\"" + cohort + "\"", () ->
                    {
                        final double p99 = canary.cohort(isCanary).p99Ms();
                        return Double.isNaN(p99) ? 0 : Math.round(p99 * 1000);
                    });
        }
    }

    private EventLog<TurnRecord> eventLog() throws IOException
    {
        if ("off".equals(events))
        {
            return null;
        }
        final Path state = JwtSecrets.defaultDevSecretFile().getParent();
        final Path dir = eventsDir != null ? eventsDir : state.resolve("events");
        // the key of the user hash: random, kept in the state folder (mode 0600), so hashes stay stable across
        // restarts (give every instance of a deployment the same file, or IVBOT_STATE_DIR)
        final byte[] key = JwtSecrets.loadOrCreateDevSecret(state.resolve("events-hash-key"));
        final EventSink sink;
        if (events.startsWith("kafka://"))
        {
            kafka = KafkaSink.of(events, eventsKafkaBufferMb << 20);
            sink = kafka;
        }
        else
        {
            sink = new JsonLinesFileSink(dir, eventsMaxFileMb << 20, eventsRetentionDays, System::currentTimeMillis);
        }
        // counted for the operator page's "什么在被问" panel on the writer thread, before they are written
        asked = new AskedStats(sink, System::currentTimeMillis);
        // the writer looks for events every 50 ms when idle: an idle server wakes it 20 times a second, and an
        // event reaches its file or Kafka's producer within 50 ms (the producer lingers 20 ms more)
        return new EventLog<>(new TurnEvents(new UserHasher(key)), asked, eventsQueue, EVENTS_IDLE_MS);
    }

    private JwtAuthenticator authenticator() throws Exception
    {
        if (jwtPublicKey != null)
        {
            final JwtAuthenticator authenticator = JwtAuthenticator.publicKey(jwtPublicKey, System::currentTimeMillis);
            System.out.println("ivbot: verifying " + authenticator.algorithm() + " tokens with " + jwtPublicKey);
            return authenticator;
        }
        final byte[] fromEnv = JwtSecrets.fromEnvironment();
        if (fromEnv != null)
        {
            hmacSecret = fromEnv;
            return JwtAuthenticator.hmac(fromEnv, System::currentTimeMillis);
        }
        if (!dev)
        {
            System.err.println("ivbot: no way to verify tokens. Either set " + JwtSecrets.ENV +
                " (at least 32 bytes) or pass --jwt-public-key FILE for a real deployment, or run");
            System.err.println("ivbot:   ./ivbot serve --dev");
            System.err.println("ivbot: for a local try-out (a dev secret, a dev token in the chat page, loopback only).");
            return null;
        }
        final Path file = devSecretFile != null ? devSecretFile : JwtSecrets.defaultDevSecretFile();
        final byte[] secret = JwtSecrets.loadOrCreateDevSecret(file);
        final String token = new TokenIssuer(secret).issue("dev", null, List.of(Principal.OPS), Duration.ofHours(12),
            System.currentTimeMillis());
        System.out.println("ivbot: " + JwtSecrets.ENV + " is not set; using the dev secret in " + file + " (mode 0600)");
        System.out.println("ivbot: dev token (sub=dev, roles=ops, 12h): " + token);
        devToken = token;
        hmacSecret = secret;
        return JwtAuthenticator.hmac(secret, System::currentTimeMillis);
    }
}
