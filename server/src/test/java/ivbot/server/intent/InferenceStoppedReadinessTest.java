package ivbot.server.intent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.inference.batch.InferenceAgent;
import ivbot.inference.batch.InferenceRequest;
import ivbot.inference.model.BatchPredictor;
import ivbot.inference.model.Prediction;
import ivbot.inference.rules.RuleClassifier;
import ivbot.server.Await;
import ivbot.server.RawHttp;
import ivbot.server.TestServer;
import org.agrona.concurrent.AgentRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An {@code Error} in a batch stops the inference thread for good; the server goes on answering by the rules,
 * and {@code /readyz} says it is degraded (503) so that a load balancer prefers an instance whose model runs.
 */
@Timeout(60)
class InferenceStoppedReadinessTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldReportDegradedOnceTheInferenceThreadHasStopped() throws Exception
    {
        final InferenceAgent agent = new InferenceAgent(64, 4, 0);
        agent.swap(new BatchPredictor()
        {
            @Override
            public String version()
            {
                return "doomed";
            }

            @Override
            public void predict(final List<String> normalizedTexts, final Prediction[] out)
            {
                throw new OutOfMemoryError("a test's out-of-memory in a batch");
            }

            @Override
            public void close()
            {
            }
        });
        final AgentRunner runner = new AgentRunner(agent.idleStrategy(), t -> { }, null, agent);
        AgentRunner.startOnThread(runner);
        try (TestServer server = TestServer.start(new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()), agent, 0, 200, 0.9f)))
        {
            final String readyz = "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n";
            assertTrue(RawHttp.exchange(server.port(), readyz)[0].startsWith("HTTP/1.1 200"));

            final long now = System.nanoTime();
            agent.offer(new InferenceRequest("年假", now, now + TimeUnit.SECONDS.toNanos(10), Runnable::run, r -> { }));
            Await.until(agent::isClosed, Duration.ofSeconds(20), "the Error to stop the agent");

            final String[] degraded = RawHttp.exchange(server.port(), readyz);
            assertTrue(degraded[0].startsWith("HTTP/1.1 503"), degraded[0]);
            assertEquals("degraded", JSON.readTree(degraded[1]).path("status").asText());
            final JsonNode details = JSON.readTree(RawHttp.exchange(server.port(),
                "GET /readyz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestServer.token("op") + "\r\n\r\n")[1]);
            assertEquals("stopped", details.path("inference").asText(), details.toString());
            // and turns are still answered, by the rules
            final JsonNode turn = JSON.readTree(RawHttp.chat(server.port(), TestServer.token("u"), "{\"query\":\"婚假几天\"}")[1]);
            assertEquals("leave_marriage", turn.path("intent").asText(), turn.toString());
            assertEquals("rules", turn.path("source").asText());
        }
        finally
        {
            runner.close();
        }
    }
}
