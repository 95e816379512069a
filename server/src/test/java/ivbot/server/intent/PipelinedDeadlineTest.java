package ivbot.server.intent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.inference.batch.InferenceRequest;
import ivbot.inference.rules.RuleClassifier;
import ivbot.server.HttpApiTest;
import ivbot.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Overload on one connection: a request's model deadline counts from its arrival, so requests pipelined
 * behind a slow one on the same connection are answered by the rules once their own deadline has passed,
 * instead of each waiting the whole deadline again in turn; and a request with others queued behind it waits
 * for the model only its share of what is left of their deadline, so the first does not hold the rest.
 */
@Timeout(120)
class PipelinedDeadlineTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DEADLINE_MS = 200;

    @Test
    void shouldAnswerRequestsQueuedOnOneConnectionWithinAboutOneDeadline(@TempDir final Path repository) throws Exception
    {
        final JsonNode[] replies = pipelineToAWedgedModel(repository, 20);
        final JsonNode last = replies[replies.length - 1];
        assertTrue(last.path("latency_ms").asDouble() >= DEADLINE_MS * 0.9,
            "the last one's latency counts its wait behind the others: " + last);
    }

    @Test
    void shouldGiveEachPipelinedRequestItsShareOfTheDeadlineSoTheFirstDoesNotHoldTheRest(@TempDir final Path repository)
        throws Exception
    {
        final int n = 20;
        final JsonNode[] replies = pipelineToAWedgedModel(repository, n);
        // the first had 19 behind it: about a twentieth of the deadline, not all of it (which held every one behind
        // it for a whole deadline before)
        final double first = replies[0].path("latency_ms").asDouble();
        assertTrue(first < DEADLINE_MS / 2.0, "the first waited " + first + " ms for a model that does not answer");
        for (final JsonNode reply : replies)
        {
            assertTrue(reply.path("latency_ms").asDouble() < DEADLINE_MS * 1.5, "every one within about its deadline: " + reply);
        }
        final long refusedOrTimedOut = java.util.Arrays.stream(replies)
            .filter(r -> "queue_full".equals(r.path("fallback_reason").asText()) || "deadline".equals(r.path("fallback_reason").asText()))
            .count();
        assertEquals(n, refusedOrTimedOut, "each says why the model did not answer");
    }

    @Test
    void shouldShareWhatIsLeftOfTheOldestDeadlineBehindARequest()
    {
        final IntentClassifier classifier = new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()), null, 0,
            DEADLINE_MS, 0.9f, false);
        final long now = 1_000_000_000L;
        final long ms = 1_000_000L;
        assertEquals(Long.MAX_VALUE, classifier.connectionShare(now, 0, 0), "nothing behind it: its own deadline only");
        assertEquals(now + 160 * ms / 4, classifier.connectionShare(now, 3, now - 40 * ms),
            "three behind, the oldest with 160 ms left: a quarter each");
        assertEquals(now + 200 * ms / 2, classifier.connectionShare(now, 1, now));
        assertEquals(now, classifier.connectionShare(now, 5, now - 300 * ms), "the oldest behind it is already late");
    }

    /**
     * Wedges the inference thread, pipelines {@code n} model requests on one connection, and returns their replies,
     * checking that each is the rules' 200 and that all came within a few deadlines.
     */
    private static JsonNode[] pipelineToAWedgedModel(final Path repository, final int n) throws Exception
    {
        ModelChatTest.install(repository, "20260101-1");
        final ModelRuntime.Settings settings = ModelChatTest.settings(repository);
        final CountDownLatch release = new CountDownLatch(1);
        try (ModelRuntime runtime = ModelRuntime.start(settings, () -> { });
             TestServer server = TestServer.start(new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()), runtime.agent(), 0,
                 DEADLINE_MS, 0.9f, false)))
        {
            // wedge the inference thread: this request's result is handed over through an executor that blocks
            final CountDownLatch wedged = new CountDownLatch(1);
            runtime.agent().offer(new InferenceRequest("年假", System.nanoTime(), System.nanoTime() + 60_000_000_000L, task ->
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
            }, r -> { }));
            assertTrue(wedged.await(30, TimeUnit.SECONDS));

            final String token = TestServer.token("pipeliner");
            final StringBuilder requests = new StringBuilder();
            for (int i = 0; i < n; i++)
            {
                final String body = "{\"query\":\"第" + i + "个问题:三方协议什么时候签\"}";
                requests.append("POST /v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ").append(token)
                    .append("\r\nContent-Type: application/json\r\nContent-Length: ")
                    .append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n\r\n").append(body);
            }
            try (Socket socket = server.connect(30_000))
            {
                final long start = System.nanoTime();
                socket.getOutputStream().write(requests.toString().getBytes(StandardCharsets.UTF_8));
                final JsonNode[] replies = new JsonNode[n];
                for (int i = 0; i < n; i++)
                {
                    final String[] response = HttpApiTest.readResponse(socket.getInputStream());
                    assertTrue(response[0].startsWith("HTTP/1.1 200"), response[0]);
                    replies[i] = JSON.readTree(response[1]);
                    assertEquals("rules", replies[i].path("source").asText(), replies[i].toString());
                    assertEquals("contract", replies[i].path("intent").asText(), "the rules still answer");
                }
                final long tookMs = (System.nanoTime() - start) / 1_000_000;
                // about one deadline in all: not twenty deadlines one after another
                assertTrue(tookMs < 5 * DEADLINE_MS, n + " pipelined requests took " + tookMs + " ms");
                return replies;
            }
        }
        finally
        {
            release.countDown();
        }
    }
}
