package ivbot.server.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.server.TestServer;
import ivbot.server.session.InMemorySessionStore;
import ivbot.server.session.RedisSessionStore;
import ivbot.server.session.Session;
import ivbot.server.session.SessionIds;
import ivbot.server.session.SessionStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A session whose topic is an intent the catalog in service no longer has (it was served by a catalog with
 * {@code relocation}, then the server went back to one without) reads as having no topic, not as an error:
 * in the Redis store at load, and in a chat turn on either store.
 */
@Timeout(60)
class VanishedTopicTest
{
    private static final String REDIS = "redis://127.0.0.1:6379";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void shouldReadAStoredIdTheCatalogLacksAsNoTopicFromRedis(@TempDir final Path tmp) throws IOException
    {
        final IntentCatalog withRelocation = Relocation.catalog(tmp);
        try (RedisSessionStore store = new RedisSessionStore(REDIS, 600, Duration.ofSeconds(2), TestServer.catalog()::fromId))
        {
            final String id = SessionIds.newId();
            store.save(new Session(id, "alice", withRelocation.fromId("relocation"), null, 3, 7L)).join();
            final Session vanished = store.load(id).join();
            assertNull(vanished.intent(), "relocation is not in the catalog in service");
            assertEquals("alice", vanished.user());
            assertEquals(3, vanished.turns());

            final String other = SessionIds.newId();
            store.save(new Session(other, "alice", withRelocation.fromId("salary"), null, 1, 8L)).join();
            assertEquals(TestServer.intent("salary"), store.load(other).join().intent(), "an id both catalogs have stays");
            store.delete(id).join();
            store.delete(other).join();
        }
    }

    @Test
    void shouldAnswerAFollowUpOnAVanishedTopicWithAClarifyingQuestionInMemory(@TempDir final Path tmp) throws Exception
    {
        // the server closes the store
        followUps(new InMemorySessionStore(100, 600, Ticker.systemTicker()), Relocation.catalog(tmp));
    }

    @Test
    void shouldAnswerAFollowUpOnAVanishedTopicWithAClarifyingQuestionOnRedis(@TempDir final Path tmp) throws Exception
    {
        followUps(new RedisSessionStore(REDIS, 600, Duration.ofSeconds(2), TestServer.catalog()::fromId),
            Relocation.catalog(tmp));
    }

    private void followUps(final SessionStore store, final IntentCatalog withRelocation) throws Exception
    {
        try (TestServer server = TestServer.start(store, TestServer.rulesOnlyClassifier(), TestServer::kb))
        {
            final String token = TestServer.token("alice");
            // the control: a topic the catalog still has is carried to a follow-up that names none
            final String kept = SessionIds.newId();
            store.save(new Session(kept, "alice", withRelocation.fromId("probation"), null, 1, 1L)).join();
            final JsonNode carried = chat(server, token, kept, "那这个呢");
            assertEquals("probation", carried.path("intent").asText(), carried.toString());

            final String gone = SessionIds.newId();
            final Intent relocation = withRelocation.fromId("relocation");
            store.save(new Session(gone, "alice", relocation, null, 1, 1L)).join();
            final JsonNode reply = chat(server, token, gone, "那这个呢");
            assertEquals(TestServer.catalog().fallback().id(), reply.path("intent").asText(), reply.toString());
            assertEquals(TestServer.kb().clarifyingQuestion(null), reply.path("answer").asText());
            assertEquals(2, reply.path("turn").asInt());
            store.delete(kept).join();
            store.delete(gone).join();
        }
    }

    private JsonNode chat(final TestServer server, final String token, final String sessionId, final String query)
        throws IOException, InterruptedException
    {
        return server.chat(client, token,
            JSON.createObjectNode().put("session_id", sessionId).put("query", query).toString());
    }
}
