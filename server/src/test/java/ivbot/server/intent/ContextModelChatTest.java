package ivbot.server.intent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.inference.rules.RuleClassifier;
import ivbot.server.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped model reads the conversation: over a real socket, on the served path (rules first where the model
 * is not asked for context, the package's thresholds), a follow-up is classified with the session's topic as
 * segment A. 工资照发吗 is about parental leave after a parental-leave question and about salary on its own; an
 * audience-only turn keeps the topic, a turn naming another topic switches to it.
 */
@Timeout(120)
class ContextModelChatTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
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

    @Test
    void shouldReadAFollowUpInTheContextOfTheTopicBeforeIt(@TempDir final Path repository) throws Exception
    {
        final String version = copyShipped(repository);
        runtime = ModelRuntime.start(ModelChatTest.settings(repository), () -> { });
        assertTrue(runtime.agent().model().readsContext(), "the shipped package " + version + " reads the conversation");
        final IntentClassifier classifier = new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()), runtime.agent(), 1000,
            10_000, 0.9f);
        server = TestServer.start(classifier);
        final String token = TestServer.token("context-user");

        final JsonNode parental = chat(token, "", "产假有多少天");
        assertEquals("leave_parental", parental.path("intent").asText(), parental.toString());
        final JsonNode followUp = chat(token, parental.path("session_id").asText(), "工资照发吗");
        assertEquals("leave_parental", followUp.path("intent").asText(), followUp.toString());
        assertEquals(version, followUp.path("model_version").asText(), followUp.toString());
        final JsonNode alone = chat(token, "", "工资照发吗");
        assertEquals("salary", alone.path("intent").asText(), alone.toString());

        final JsonNode annual = chat(token, "", "校招年假几天");
        assertEquals("leave_annual", annual.path("intent").asText(), annual.toString());
        assertEquals("campus", annual.path("audience").asText(), annual.toString());
        final String session = annual.path("session_id").asText();
        final JsonNode intern = chat(token, session, "那实习生呢");
        assertEquals("leave_annual", intern.path("intent").asText(), intern.toString());
        assertEquals("intern", intern.path("audience").asText(), intern.toString());
        final JsonNode sick = chat(token, session, "那病假呢");
        assertEquals("leave_sick", sick.path("intent").asText(), sick.toString());
        assertEquals("intern", sick.path("audience").asText(), sick.toString());
        assertEquals(3, sick.path("turn").asInt(), sick.toString());
    }

    private static String copyShipped(final Path repository) throws IOException
    {
        final Path shipped = ModelChatTest.shippedPackage();
        ModelChatTest.copyPackage(shipped, repository, shipped.getFileName().toString());
        return shipped.getFileName().toString();
    }

    private JsonNode chat(final String token, final String sessionId, final String query)
        throws IOException, InterruptedException
    {
        return server.chat(client, token, JSON.createObjectNode().put("session_id", sessionId).put("query", query).toString());
    }
}
