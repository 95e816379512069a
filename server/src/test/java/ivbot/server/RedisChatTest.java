package ivbot.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import ivbot.server.session.RedisSessionStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

@Timeout(60)
class RedisChatTest
{
    private static final String REDIS = System.getenv().getOrDefault("IVBOT_TEST_REDIS", "redis://127.0.0.1:6379");

    @Test
    void shouldKeepConversationContextInRedis() throws Exception
    {
        try (TestServer server = TestServer.start(new RedisSessionStore(REDIS, 600, Duration.ofSeconds(2)), new ServerConfig()))
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

    private static String send(final HttpClient client, final TestServer server, final String token, final String body) throws Exception
    {
        final HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat"))
            .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }
}
