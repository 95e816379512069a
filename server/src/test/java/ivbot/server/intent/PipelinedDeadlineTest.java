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
 * instead of each waiting the whole deadline again in turn.
 */
@Timeout(120)
class PipelinedDeadlineTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DEADLINE_MS = 200;

    @Test
    void shouldAnswerRequestsQueuedOnOneConnectionWithinAboutOneDeadline(@TempDir final Path repository) throws Exception
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

            final int n = 20;
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
                JsonNode last = null;
                for (int i = 0; i < n; i++)
                {
                    final String[] response = HttpApiTest.readResponse(socket.getInputStream());
                    assertTrue(response[0].startsWith("HTTP/1.1 200"), response[0]);
                    last = JSON.readTree(response[1]);
                    assertEquals("rules", last.path("source").asText(), last.toString());
                    assertEquals("contract", last.path("intent").asText(), "the rules still answer");
                }
                final long tookMs = (System.nanoTime() - start) / 1_000_000;
                // one deadline for the first, then the rest at once: not twenty deadlines one after another
                assertTrue(tookMs < 5 * DEADLINE_MS, n + " pipelined requests took " + tookMs + " ms");
                assertTrue(last.path("latency_ms").asDouble() >= DEADLINE_MS * 0.9,
                    "the last one's latency counts its wait behind the others: " + last);
            }
        }
        finally
        {
            release.countDown();
        }
    }
}
