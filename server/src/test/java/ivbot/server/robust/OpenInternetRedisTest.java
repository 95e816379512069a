package ivbot.server.robust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.server.RawHttp;
import ivbot.server.ServerConfig;
import ivbot.server.TestServer;
import ivbot.server.session.SessionStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The session findings against a real Redis ({@code IVBOT_TEST_REDIS}, default 127.0.0.1:6379): a user's cap on
 * sessions evicts only that user's oldest (its next turn says {@code context_lost}), and two users racing on
 * one new client-chosen id never both get 200.
 */
@Timeout(120)
class OpenInternetRedisTest
{
    private static final String REDIS = System.getenv().getOrDefault("IVBOT_TEST_REDIS", "redis://127.0.0.1:6379");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String[] chat(final TestServer server, final String token, final String body) throws IOException
    {
        return RawHttp.chat(server.port(), token, body);
    }

    private static JsonNode ok(final String[] response) throws IOException
    {
        assertTrue(response[0].startsWith("HTTP/1.1 200"), response[0] + response[1]);
        return JSON.readTree(response[1]);
    }

    @Test
    void shouldEvictOnlyTheFloodersOldestSessions() throws Exception
    {
        final String run = UUID.randomUUID().toString().substring(0, 8);
        try (TestServer server = TestServer.start(SessionStores.open(REDIS, 600, 5, Duration.ofSeconds(2), TestServer.catalog()::fromId), new ServerConfig()))
        {
            final String victim = TestServer.token("victim-" + run);
            final String sessionId = ok(chat(server, victim, "{\"query\":\"实习生有餐补吗\"}")).path("session_id").asText();
            final String flooder = TestServer.token("flooder-" + run);
            final String first = ok(chat(server, flooder, "{\"query\":\"年假几天\"}")).path("session_id").asText();
            for (int i = 0; i < 20; i++)
            {
                ok(chat(server, flooder, "{\"query\":\"年假几天\"}"));
            }
            final JsonNode next = ok(chat(server, victim, "{\"session_id\":\"" + sessionId + "\",\"query\":\"那住宿呢?\"}"));
            assertEquals(2, next.path("turn").asInt(), next.toString());
            assertEquals("intern", next.path("audience").asText());
            final JsonNode evicted = ok(chat(server, flooder, "{\"session_id\":\"" + first + "\",\"query\":\"那病假呢\"}"));
            assertEquals(1, evicted.path("turn").asInt(), evicted.toString());
            assertTrue(evicted.path("context_lost").asBoolean(), evicted.toString());
            assertTrue(server.chat().store().evictions() >= 16, "evictions " + server.chat().store().evictions());
            // the conversation goes on from there
            final JsonNode after = ok(chat(server, flooder, "{\"session_id\":\"" + first + "\",\"query\":\"那婚假呢\"}"));
            assertEquals(2, after.path("turn").asInt(), after.toString());
        }
    }

    @Test
    void shouldNeverAnswerTwoUsersRacingOnOneNewSessionIdBoth200() throws Exception
    {
        final ExecutorService pool = Executors.newFixedThreadPool(2);
        try (TestServer server = TestServer.start(SessionStores.open(REDIS, 600, Duration.ofSeconds(2), TestServer.catalog()::fromId), new ServerConfig()))
        {
            final String alice = TestServer.token("race-a");
            final String bob = TestServer.token("race-b");
            int conflicts = 0;
            for (int trial = 0; trial < 30; trial++)
            {
                final String id = "race" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
                final String body = "{\"session_id\":\"" + id + "\",\"query\":\"年假几天\"}";
                final CountDownLatch go = new CountDownLatch(1);
                final List<Future<String[]>> answers = new ArrayList<>();
                for (final String token : List.of(alice, bob))
                {
                    answers.add(pool.submit(() ->
                    {
                        go.await();
                        return chat(server, token, body);
                    }));
                }
                go.countDown();
                final String a = answers.get(0).get()[0];
                final String b = answers.get(1).get()[0];
                final int oks = (a.startsWith("HTTP/1.1 200") ? 1 : 0) + (b.startsWith("HTTP/1.1 200") ? 1 : 0);
                assertEquals(1, oks, "trial " + trial + ": " + a.lines().findFirst().orElse("") + " / " +
                    b.lines().findFirst().orElse(""));
                final String loser = a.startsWith("HTTP/1.1 200") ? b : a;
                assertTrue(loser.startsWith("HTTP/1.1 409") || loser.startsWith("HTTP/1.1 403"), loser);
                conflicts += loser.startsWith("HTTP/1.1 409") ? 1 : 0;
                // the winner owns the session: its next turn continues it
                final String winner = a.startsWith("HTTP/1.1 200") ? alice : bob;
                assertEquals(2, ok(chat(server, winner, body)).path("turn").asInt());
            }
            System.out.println("new-id race: " + conflicts + " of 30 trials raced to the write (409), the rest were 403");
        }
        finally
        {
            pool.shutdownNow();
        }
    }
}
