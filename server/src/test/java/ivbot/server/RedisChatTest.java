package ivbot.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.netty.channel.DefaultEventLoop;
import ivbot.proto.ChatReply;
import ivbot.proto.ChatRequest;
import ivbot.server.auth.Principal;
import ivbot.server.dialog.DialogManager;
import ivbot.server.metrics.ServerMetrics;
import ivbot.server.session.RedisSessionStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

@Timeout(60)
class RedisChatTest
{
    private static final String REDIS = System.getenv().getOrDefault("IVBOT_TEST_REDIS", "redis://127.0.0.1:6379");

    @Test
    void shouldKeepConversationContextInRedis() throws Exception
    {
        try (TestServer server = TestServer.start(new RedisSessionStore(REDIS, 600, Duration.ofSeconds(2), TestServer.catalog()::fromId), new ServerConfig()))
        {
            final HttpClient client = HttpClient.newHttpClient();
            final String token = TestServer.token("redis-user");
            final ObjectMapper json = new ObjectMapper();
            final JsonNode first = json.readTree(send(client, server, token, "{\"query\":\"试用期多久\",\"audience\":\"experienced\"}"));
            final String sid = first.path("session_id").asText();
            final JsonNode second = json.readTree(send(client, server, token, "{\"session_id\":\"" + sid + "\",\"query\":\"工资打几折\"}"));
            assertEquals("probation", second.path("intent").asText());
            assertEquals("experienced", second.path("audience").asText());

            final RedisClient rawClient = RedisClient.create(REDIS);
            try (StatefulRedisConnection<String, String> raw = rawClient.connect())
            {
                assertEquals("2", raw.sync().hget("s:" + sid, "turn"));
                assertEquals("redis-user", raw.sync().hget("s:" + sid, "user"));
                raw.sync().del("s:" + sid);
            }
            finally
            {
                rawClient.shutdown();
            }
        }
    }

    /**
     * With Redis the session read and write complete on Lettuce I/O threads; the turn's logic (the dialog and
     * the knowledge-base lookup), the reply building and the future's completion (where the transport
     * encodes) must still run on the connection's event loop.
     */
    @Test
    void shouldRunATurnOnItsEventLoopWhenRedisAnswersLast() throws Exception
    {
        final DefaultEventLoop loop = new DefaultEventLoop((java.util.concurrent.ThreadFactory)r -> new Thread(r, "test-event-loop"));
        final RedisSessionStore store = new RedisSessionStore(REDIS, 600, Duration.ofSeconds(2), TestServer.catalog()::fromId);
        try
        {
            final Set<String> dialogThreads = ConcurrentHashMap.newKeySet();
            final Set<String> replyThreads = ConcurrentHashMap.newKeySet();
            final ChatService chat = new ChatService(store, TestServer.rulesOnlyClassifier(), new DialogManager(), () ->
            {
                // the knowledge base is read inside the turn's logic, right after the dialog resolved the turn
                dialogThreads.add(Thread.currentThread().getName());
                return TestServer.kb();
            }, System::currentTimeMillis, new ServerMetrics());
            final Principal user = new Principal("thread-user", null, Long.MAX_VALUE);
            String sessionId = "";
            for (int turn = 0; turn < 20; turn++)
            {
                final ChatRequest request = ChatRequest.newBuilder().setQuery(turn % 2 == 0 ? "试用期多久" : "那实习生呢")
                    .setSessionId(sessionId).build();
                final CompletableFuture<ChatReply> reply = loop.submit(() ->
                {
                    final CompletableFuture<ChatReply> f = chat.chat(user, request, System.nanoTime(), loop);
                    // not async: runs on the thread that completes the reply, where the transport would encode it
                    f.thenRun(() -> replyThreads.add(Thread.currentThread().getName()));
                    return f;
                }).get(10, TimeUnit.SECONDS);
                sessionId = reply.get(10, TimeUnit.SECONDS).getSessionId();
            }
            store.delete(sessionId).get(10, TimeUnit.SECONDS);
            assertEquals(Set.of("test-event-loop"), dialogThreads, "the dialog and the knowledge base ran on");
            assertEquals(Set.of("test-event-loop"), replyThreads, "the reply was completed (and would be encoded) on");
        }
        finally
        {
            store.close();
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static String send(final HttpClient client, final TestServer server, final String token, final String body) throws Exception
    {
        final HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat"))
            .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }
}
