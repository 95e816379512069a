package ivbot.server.intent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ivbot.inference.model.ModelRepository;
import ivbot.inference.rules.RuleClassifier;
import ivbot.proto.Auth;
import ivbot.proto.ChatRequest;
import ivbot.proto.Frame;
import ivbot.server.Await;
import ivbot.server.TestServer;
import ivbot.server.explain.Explainer;
import ivbot.server.session.Session;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code "explain": true} over real sockets with the real model: the explanation is attached and the turn is
 * the same as without it; explanations are bounded (busy, deadline) while normal requests still reach the
 * model; the explainer follows a model swap; without a model the explanation says so.
 */
@Timeout(180)
class ExplainChatTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private ModelRuntime runtime;
    private TestServer server;
    private Explainer explainer;

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

    private static Path headPackage()
    {
        return TestServer.repoRoot().resolve("models/repository/intent/20261125-1");
    }

    private void start(final Path repository, final Explainer.Settings settings, final Supplier<Path> servingPackage)
        throws IOException
    {
        final IntentClassifier[] classifier = new IntentClassifier[1];
        // the first install runs inside start, before the classifier exists
        runtime = ModelRuntime.start(ModelChatTest.settings(repository), () ->
        {
            if (classifier[0] != null)
            {
                classifier[0].clearCache();
            }
        });
        classifier[0] = new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()), runtime.agent(), 1000, 10_000, 0.9f);
        server = TestServer.startWithExplainer(classifier[0], metrics ->
        {
            explainer = new Explainer(settings, servingPackage == null ? runtime::servingPackage : servingPackage, metrics);
            return explainer;
        });
    }

    private static Explainer.Settings settings(final int maxPending, final long deadlineMs)
    {
        final Explainer.Settings settings = new Explainer.Settings();
        settings.maxPending = maxPending;
        settings.deadlineMs = deadlineMs;
        settings.catalog = TestServer::catalog;
        return settings;
    }

    private HttpResponse<String> post(final String token, final String sessionId, final String query, final boolean explain)
        throws IOException, InterruptedException
    {
        final ObjectNode body = JSON.createObjectNode().put("query", query);
        if (sessionId != null)
        {
            body.put("session_id", sessionId);
        }
        if (explain)
        {
            body.put("explain", true);
        }
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat"))
            .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode chat(final String token, final String sessionId, final String query, final boolean explain)
        throws IOException, InterruptedException
    {
        final HttpResponse<String> response = post(token, sessionId, query, explain);
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private Session session(final String id)
    {
        return server.chat().store().load(id).join();
    }

    private String metrics() throws IOException, InterruptedException
    {
        server.reporter().roll();
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void shouldAttachAnExplanationWithoutChangingTheTurn(@TempDir final Path repository) throws Exception
    {
        ModelChatTest.install(repository, "20260101-1", 0.0, headPackage());
        start(repository, settings(2, 30_000), null);
        final String[] queries = {"年假有几天", "那病假呢", "工资几号发"};
        String plainSession = null;
        String explainedSession = null;
        for (final String query : queries)
        {
            final JsonNode plain = chat(TestServer.token("plain-user"), plainSession, query, false);
            final JsonNode explained = chat(TestServer.token("explain-user"), explainedSession, query, true);
            plainSession = plain.path("session_id").asText();
            explainedSession = explained.path("session_id").asText();
            assertTrue(plain.path("explanation").isMissingNode(), "a normal reply has no explanation: " + plain);
            for (final String field : new String[] {"intent", "audience", "turn", "answer", "context_lost"})
            {
                assertEquals(plain.path(field), explained.path(field), query + ": " + field);
            }
            final JsonNode explanation = explained.path("explanation");
            assertTrue(explanation.path("skipped").isMissingNode(), explanation.toString());
            assertEquals(explained.path("intent").asText(), explanation.path("intent").asText(), explanation.toString());
            assertEquals("20260101-1", explanation.path("model_version").asText());
            assertEquals(3, explanation.path("top").size(), explanation.toString());
            assertEquals(3, explanation.path("nearest").size(), explanation.toString());
            assertEquals(query.length(), explanation.path("saliency").size(), explanation.toString());
            assertEquals(query.substring(0, 1), explanation.path("saliency").get(0).path("token").asText());
            assertTrue(explanation.path("saliency").get(0).path("weight").isNumber());
            assertTrue(explanation.path("nearest").get(0).path("similarity").asDouble() > 0.5, explanation.toString());
            assertTrue(explanation.path("latency_ms").asDouble() > 0, explanation.toString());
        }
        final JsonNode first = chat(TestServer.token("explain-user"), null, "年假有几天", true);
        assertEquals("leave_annual", first.path("explanation").path("top").get(0).path("intent").asText(),
            "the model's first choice is the reply's intent where the model answered: " + first);
        final Session plain = session(plainSession);
        final Session explained = session(explainedSession);
        assertEquals(queries.length, plain.turns());
        assertEquals(plain.turns(), explained.turns());
        assertEquals(plain.intent(), explained.intent());
        assertEquals(plain.audience(), explained.audience());

        final String text = metrics();
        assertTrue(text.contains("ivbot_explain_total{outcome=\"explained\"} 4"), text);
        assertTrue(text.contains("ivbot_explain_total{outcome=\"rejected\"} 0"), text);
        assertTrue(text.contains("ivbot_explain_requests_total 4"), text);
        assertTrue(text.contains("ivbot_stage_latency_seconds_count{stage=\"explain\"} 4"), text);
    }

    @Test
    void shouldRefuseExplanationsPastTheBoundWhileNormalRequestsStillReachTheModel(@TempDir final Path repository)
        throws Exception
    {
        ModelChatTest.install(repository, "20260101-1", 0.0, headPackage());
        // the explainer thread asks for the serving package before each explanation: the test can hold it there
        final AtomicBoolean wedge = new AtomicBoolean();
        final CountDownLatch wedged = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Supplier<Path> servingPackage = () ->
        {
            if (wedge.get())
            {
                wedged.countDown();
                try
                {
                    release.await(60, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
            return runtime.servingPackage();
        };
        start(repository, settings(1, 300), servingPackage);
        final String token = TestServer.token("bounded-user");
        // the explainer loads its model in the background: wait until it explains in time (a wait past the
        // deadline leaves the explanation uncomputed, so the first ones may say "deadline")
        awaitExplained(token);
        try
        {
            wedge.set(true);
            // the only place is taken and the explainer is stuck: the reply comes at the deadline without it
            final JsonNode late = chat(token, null, "年假有几天", true);
            assertTrue(wedged.await(30, TimeUnit.SECONDS));
            assertEquals("leave_annual", late.path("intent").asText());
            assertEquals(Explainer.DEADLINE, late.path("explanation").path("skipped").asText(), late.toString());
            assertEquals(0, late.path("explanation").path("top").size());
            final String session = late.path("session_id").asText();

            // the place is still held (the explanation has not ended): the next explain request is refused at once
            final long startNs = System.nanoTime();
            final HttpResponse<String> busy = post(token, session, "那病假呢", true);
            final long tookMs = (System.nanoTime() - startNs) / 1_000_000;
            assertEquals(503, busy.statusCode(), busy.body());
            assertEquals("busy", JSON.readTree(busy.body()).path("error").path("code").asText(), busy.body());
            assertEquals("1", busy.headers().firstValue("Retry-After").orElse(""));
            assertTrue(tookMs < 10_000, "refused without waiting for the explainer (held for 60 s): " + tookMs + " ms");
            assertEquals(1, session(session).turns(), "a refused explain request adds no turn");

            // the same over protobuf: an Error frame
            try (Socket socket = server.connect(10_000))
            {
                Frame.newBuilder().setAuth(Auth.newBuilder().setToken(token)).build().writeDelimitedTo(socket.getOutputStream());
                assertEquals("bounded-user", Frame.parseDelimitedFrom(socket.getInputStream()).getAuthOk().getSubject());
                Frame.newBuilder().setChatRequest(ChatRequest.newBuilder().setRequestId(9).setQuery("婚假几天")
                    .setExplain(true)).build().writeDelimitedTo(socket.getOutputStream());
                final Frame error = Frame.parseDelimitedFrom(socket.getInputStream());
                assertEquals(9, error.getError().getRequestId(), error.toString());
                assertEquals("busy", error.getError().getCode());
                assertEquals(503, error.getError().getStatus());
                assertEquals(1, error.getError().getRetryAfterSeconds());
            }

            // normal requests do not wait for explanations: the model answers them (queries not asked before,
            // so that the cache does not)
            for (final String query : new String[] {"那病假呢", "试用期多久", "产假有多少天"})
            {
                final JsonNode normal = chat(token, session, query, false);
                assertEquals("model", normal.path("source").asText(), normal.toString());
                assertTrue(normal.path("explanation").isMissingNode());
            }
            assertEquals(4, session(session).turns());
        }
        finally
        {
            wedge.set(false);
            release.countDown();
        }
        // once the stuck explanation ends, explanations come back (each refusal adds no turn)
        final long deadlinesBefore = explainer.deadlines();
        final long explainedBefore = explainer.explained();
        final JsonNode explained = awaitExplained(token);
        assertEquals("leave_marriage", explained.path("explanation").path("intent").asText(), explained.toString());
        assertEquals(3, explained.path("explanation").path("top").size(), explained.toString());

        final String text = metrics();
        assertTrue(text.contains("ivbot_explain_total{outcome=\"deadline\"} " + deadlinesBefore), text);
        assertTrue(deadlinesBefore >= 1);
        assertTrue(text.matches("(?s).*ivbot_explain_total\\{outcome=\"rejected\"} [1-9].*"), text);
        assertTrue(text.contains("ivbot_explain_total{outcome=\"explained\"} " + (explainedBefore + 1)), text);
    }

    // explain requests without a session until one comes back explained; refused ones (503) add no turn
    private JsonNode awaitExplained(final String token)
    {
        final JsonNode[] explained = new JsonNode[1];
        Await.until(() ->
        {
            try
            {
                final HttpResponse<String> response = post(token, null, "婚假几天", true);
                final JsonNode reply = response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
                explained[0] = reply != null && reply.path("explanation").path("skipped").isMissingNode() ? reply : null;
                return explained[0] != null;
            }
            catch (final IOException | InterruptedException ex)
            {
                throw new IllegalStateException(ex);
            }
        }, Duration.ofSeconds(60), Duration.ofMillis(100), "an explain request answered with its explanation");
        return explained[0];
    }

    @Test
    void shouldReloadTheExplainerAfterAModelSwap(@TempDir final Path repository) throws Exception
    {
        ModelChatTest.install(repository, "20260101-1", 0.0, headPackage());
        start(repository, settings(2, 30_000), null);
        final String token = TestServer.token("swap-explain-user");
        assertEquals("20260101-1", chat(token, null, "年假有几天", true).path("explanation").path("model_version").asText());
        ModelChatTest.install(repository, "20260101-2", 0.0, headPackage());
        assertEquals(ModelRepository.Outcome.INSTALLED, runtime.repository().check());
        // the next explanation loads the new version first
        final JsonNode after = chat(token, null, "年假有几天", true);
        assertEquals("20260101-2", after.path("model_version").asText());
        assertEquals("20260101-2", after.path("explanation").path("model_version").asText(), after.toString());
    }

    @Test
    void shouldSayNoModelWhenTheRulesAloneAnswer() throws Exception
    {
        server = TestServer.start();
        final JsonNode reply = chat(TestServer.token("rules-user"), null, "年假有几天", true);
        assertEquals("rules", reply.path("source").asText());
        assertEquals("leave_annual", reply.path("intent").asText());
        final JsonNode explanation = reply.path("explanation");
        assertEquals(Explainer.NO_MODEL, explanation.path("skipped").asText(), reply.toString());
        assertEquals(0, explanation.path("top").size());
        assertEquals(0, explanation.path("nearest").size());
        assertEquals(0, explanation.path("saliency").size());
    }
}
