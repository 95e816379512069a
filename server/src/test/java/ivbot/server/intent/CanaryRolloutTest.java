package ivbot.server.intent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ivbot.inference.model.ModelRepository;
import ivbot.inference.rules.RuleClassifier;
import ivbot.server.Await;
import ivbot.server.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Canary releases with real models over a real socket: a candidate that fails the dev gate never serves; a slow
 * candidate (the same head, but {@code max_length} 512 on long questions) serves its cohort until the soak's P99
 * check rolls it back, after which its cohort is answered by stable and the version is not tried again; a good
 * candidate serves testers with the {@code canary} claim, is shadowed, and is promoted after its soak with no
 * failed request under load.
 */
@Timeout(240)
class CanaryRolloutTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STABLE = "20261125-1";
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private ModelRuntime runtime;
    private TestServer server;

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
    }

    private static void copyFrozen(final Path repository, final String version) throws IOException
    {
        ModelChatTest.copyPackage(TestServer.repoRoot().resolve("models/repository/intent/" + STABLE), repository, version);
    }

    private static void setMaxLength(final Path repository, final String version, final int maxLength) throws IOException
    {
        final Path manifest = repository.resolve(version).resolve("manifest.json");
        final ObjectNode node = (ObjectNode)JSON.readTree(manifest.toFile());
        node.put("max_length", maxLength);
        Files.writeString(manifest, JSON.writeValueAsString(node));
    }

    private void start(final Path repository, final CanaryController.Settings canary) throws IOException
    {
        start(repository, canary, 128);
    }

    private void start(final Path repository, final CanaryController.Settings canary, final int stableMaxLength)
        throws IOException
    {
        copyFrozen(repository, STABLE);
        setMaxLength(repository, STABLE, stableMaxLength);
        final ModelRuntime.Settings settings = ModelChatTest.settings(repository);
        settings.canary = canary;
        settings.canaryEvaluateMs = 0;
        runtime = ModelRuntime.start(settings, () -> { });
        assertNotNull(runtime.canary());
        // the model answers every uncached query (no rules first), so each turn measures a model
        final RuleClassifier rules = RuleClassifier.loadDefault(TestServer.catalog());
        final IntentClassifier classifier = new IntentClassifier(() -> rules, runtime.agent(), 0,
            10_000, 0.9f, false, Integer.MAX_VALUE, runtime.canary());
        server = TestServer.start(classifier);
    }

    private static CanaryController.Settings canary(final double share, final long soakMs, final double shadowShare)
    {
        final CanaryController.Settings settings = new CanaryController.Settings();
        settings.share = share;
        settings.soakMs = soakMs;
        settings.minTurns = 30;
        settings.minSamples = 20;
        settings.shadowShare = shadowShare;
        return settings;
    }

    private JsonNode chat(final String token, final String query) throws IOException, InterruptedException
    {
        return server.chat(client, token, JSON.createObjectNode().put("query", query).toString());
    }

    private HttpResponse<String> admin(final String token, final String method, final String path)
        throws IOException, InterruptedException
    {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .header("Authorization", "Bearer " + token)
            .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldLetOnlyAnAdminSteerTheCandidateOverHttpAndJmx(@TempDir final Path repository) throws Exception
    {
        start(repository, canary(0.1, 3_600_000, 0));
        copyFrozen(repository, "20261125-2");
        assertEquals(ModelRepository.Outcome.INSTALLED, runtime.repository().check(), runtime.repository().lastRejection());
        final String admin = TestServer.ISSUER.issue("release-manager", null, List.of("admin"), Duration.ofHours(1),
            System.currentTimeMillis());

        assertEquals(403, admin(TestServer.token("candidate-user"), "GET", "/v1/admin/model").statusCode());
        final HttpResponse<String> status = admin(admin, "GET", "/v1/admin/model");
        assertEquals(200, status.statusCode(), status.body());
        final JsonNode json = JSON.readTree(status.body());
        assertEquals("soaking", json.path("state").asText(), json.toString());
        assertEquals(STABLE, json.path("stable").asText());
        assertEquals("20261125-2", json.path("candidate").asText());
        assertEquals(405, admin(admin, "GET", "/v1/admin/model/pause").statusCode(), "commands are POSTs");

        final HttpResponse<String> paused = admin(admin, "POST", "/v1/admin/model/pause");
        assertEquals(200, paused.statusCode(), paused.body());
        assertEquals("paused", JSON.readTree(paused.body()).path("state").asText());
        assertEquals(null, runtime.canary().evaluate(), "a paused soak decides nothing");
        assertEquals(409, admin(admin, "POST", "/v1/admin/model/pause").statusCode(), "already paused");
        assertEquals(200, admin(admin, "POST", "/v1/admin/model/resume").statusCode());

        // the CLI through remote JMX: ivbot model rollback --jmx-port P
        final int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0))
        {
            port = probe.getLocalPort();
        }
        try (ivbot.server.metrics.JmxExporter jmx = new ivbot.server.metrics.JmxExporter(server.reporter(),
            javax.management.MBeanServerFactory.newMBeanServer()).register())
        {
            jmx.canary(runtime.canary());
            jmx.serveRemote(port);
            assertEquals(0, ivbot.server.cli.Main.commandLine().execute("model", "rollback", "--jmx-port",
                Integer.toString(port)));
            assertEquals(1, ivbot.server.cli.Main.commandLine().execute("model", "promote", "--jmx-port",
                Integer.toString(port)), "nothing left to promote");
        }
        assertEquals(null, runtime.agent().candidate());
        assertEquals(1, runtime.canary().rollbacks("operator"));
        final HttpResponse<String> after = admin(admin, "POST", "/v1/admin/model/promote");
        assertEquals(409, after.statusCode(), after.body());
        assertEquals("rolled_back", JSON.readTree(admin(admin, "GET", "/v1/admin/model").body()).path("last").path("action")
            .asText());
    }

    @Test
    void shouldSayCanariesAreOffOnAServerWithoutThem() throws Exception
    {
        server = TestServer.start();
        final String admin = TestServer.ISSUER.issue("release-manager", null, List.of("admin"), Duration.ofHours(1),
            System.currentTimeMillis());
        final HttpResponse<String> status = admin(TestServer.token("anyone"), "GET", "/v1/admin/model");
        assertEquals(200, status.statusCode(), status.body());
        assertEquals("off", JSON.readTree(status.body()).path("state").asText(), status.body());
        assertEquals(404, admin(admin, "POST", "/v1/admin/model/promote").statusCode());
        assertEquals(401, admin("not-a-token", "GET", "/v1/admin/model").statusCode());
    }

    @Test
    void shouldNeverServeACandidateWhoseShuffledHeadFailsTheDevGate(@TempDir final Path repository) throws Exception
    {
        start(repository, canary(0.5, 3_600_000, 0));
        copyFrozen(repository, "20261125-2");
        final Path labels = repository.resolve("20261125-2/labels.txt");
        final List<String> lines = new ArrayList<>(Files.readAllLines(labels, StandardCharsets.UTF_8));
        Collections.shuffle(lines, new Random(7));
        Files.write(labels, lines, StandardCharsets.UTF_8);

        assertEquals(ModelRepository.Outcome.REJECTED, runtime.repository().check());
        assertTrue(runtime.repository().lastRejection().contains("macro-F1"), runtime.repository().lastRejection());
        assertEquals(null, runtime.agent().candidate());
        assertEquals(CanaryController.State.IDLE, runtime.canary().status().state());
    }

    @Test
    void shouldRollASlowCandidateBackForItsP99AndAnswerItsCohortFromStableAfterwards(@TempDir final Path repository)
        throws Exception
    {
        // stable reads 32 tokens, the candidate 512: on long questions it does 16 times the work (more, for attention)
        start(repository, canary(0.5, 3_600_000, 0), 32);
        copyFrozen(repository, "20261125-2");
        setMaxLength(repository, "20261125-2", 512);
        // dev questions are shorter than 32 tokens: the same head scores the same, so the gate passes
        assertEquals(ModelRepository.Outcome.INSTALLED, runtime.repository().check(), runtime.repository().lastRejection());
        assertEquals("20261125-2", runtime.agent().candidate().version());

        final CanaryController canary = runtime.canary();
        // long questions: stable reads 32 tokens of them, the candidate 512
        final String filler = "我想了解一下公司关于员工福利和假期安排的具体规定以及申请流程和注意事项".repeat(12);
        int user = 0;
        while (canary.status().canary().turns() < 25 || canary.status().stable().turns() < 25)
        {
            assertTrue(user < 2_000, "cohorts did not fill: " + canary.status());
            chat(TestServer.token("slow-" + user), "年假有几天" + user + filler);
            user++;
        }
        final CanaryController.Decision decision = canary.evaluate();

        assertNotNull(decision, () -> "no decision: " + canary.status());
        assertEquals("rolled_back", decision.action(), decision.toString());
        assertEquals("p99", decision.reason(), decision.toString());
        assertEquals(1, canary.rollbacks("p99"));
        assertEquals(null, runtime.agent().candidate());
        assertTrue(runtime.repository().lastRejection().contains("rolled back"), runtime.repository().lastRejection());
        assertEquals(ModelRepository.Outcome.UNCHANGED, runtime.repository().check(), "a rolled-back version is not retried");
        // every user, canary cohort included, is answered by stable now
        for (int i = 0; i < 20; i++)
        {
            final JsonNode reply = chat(TestServer.token("slow-" + i), "病假工资怎么算" + i);
            assertEquals(STABLE, reply.path("model_version").asText(), reply.toString());
        }
    }

    @Test
    void shouldPromoteAGoodCandidateAfterItsSoakWithNoFailedRequestUnderLoad(@TempDir final Path repository)
        throws Exception
    {
        final CanaryController.Settings settings = canary(0.3, 0, 1.0);
        // two cohorts of one model on a shared test machine: only a gross P99 difference should count here (the
        // P99 check itself is the slow candidate's test)
        settings.maxP99Ratio = 5.0;
        start(repository, settings);
        copyFrozen(repository, "20261125-3");
        assertEquals(ModelRepository.Outcome.INSTALLED, runtime.repository().check(), runtime.repository().lastRejection());
        final CanaryController canary = runtime.canary();
        final JsonNode tester = chat(TestServer.ISSUER.issue("tester", null, List.of(), true, Duration.ofHours(1),
            System.currentTimeMillis()), "婚假几天");
        assertEquals("20261125-3", tester.path("model_version").asText(), "a canary claim gets the candidate: " + tester);

        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger sent = new AtomicInteger();
        final ConcurrentHashMap<String, String> failures = new ConcurrentHashMap<>();
        final ConcurrentHashMap<String, Boolean> versions = new ConcurrentHashMap<>();
        final ExecutorService clients = Executors.newFixedThreadPool(4);
        final List<Future<?>> load = new ArrayList<>();
        for (int c = 0; c < 4; c++)
        {
            final int client = c;
            load.add(clients.submit(() ->
            {
                for (int i = 0; i < 5_000 && !stop.get(); i++)
                {
                    try
                    {
                        final JsonNode reply = chat(TestServer.token("load-" + client + "-" + (i % 50)),
                            "试用期工资怎么算" + client + "-" + i);
                        versions.put(reply.path("model_version").asText(), true);
                        sent.incrementAndGet();
                    }
                    catch (final Throwable ex)
                    {
                        failures.put(client + "-" + i, ex.toString());
                    }
                }
                return null;
            }));
        }
        try
        {
            // the soak is over at once (0 ms): promotion waits for the candidate's turns and for each figure's samples
            final CanaryController.Decision[] decision = new CanaryController.Decision[1];
            Await.until(() -> (decision[0] = canary.evaluate()) != null, Duration.ofSeconds(120),
                "a decision on the candidate");
            assertEquals("promoted", decision[0].action(), decision[0].toString());
            assertEquals("soak_passed", decision[0].reason(), decision[0].toString());
            final int atPromotion = sent.get();
            Await.until(() -> sent.get() >= atPromotion + 40, Duration.ofSeconds(60), "40 more requests after the promotion");
        }
        finally
        {
            stop.set(true);
            for (final Future<?> f : load)
            {
                f.get();
            }
            clients.shutdown();
        }
        assertEquals(Collections.emptyMap(), failures, "failed requests during the switch");
        assertTrue(versions.containsKey(STABLE) && versions.containsKey("20261125-3"), versions.toString());
        final CanaryController.Status status = canary.status();
        assertEquals("20261125-3", status.stableVersion());
        assertEquals(null, status.candidateVersion());
        assertEquals(1, canary.promotions());
        assertTrue(status.shadowed() > 0, status.toString());
        assertEquals(1.0, status.agreement(), 1e-9, "the same model agrees with itself: " + status);
        assertEquals("20261125-3", runtime.repository().stableVersion());
        assertEquals("20261125-3", chat(TestServer.token("after"), "入职要带什么材料").path("model_version").asText());
    }
}
