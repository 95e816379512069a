package ivbot.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pages and the ops endpoint over a real socket, without a browser.
 */
@Timeout(60)
class PagesHttpTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestServer server;
    private static HttpClient client;
    private static String token;

    @BeforeAll
    static void start()
    {
        token = TestServer.token("ops-user");
        server = TestServer.startWithDevToken(token);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    private static HttpResponse<String> send(final HttpRequest.Builder request) throws IOException, InterruptedException
    {
        return client.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static HttpRequest.Builder request(final String path)
    {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    }

    @Test
    void shouldServeTheChatPageWithTheDevToken() throws IOException, InterruptedException
    {
        final HttpResponse<String> page = send(request("/").GET());
        assertEquals(200, page.statusCode());
        assertEquals("text/html; charset=utf-8", page.headers().firstValue("content-type").orElse(""));
        assertEquals("default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            page.headers().firstValue("content-security-policy").orElse(""));
        assertEquals("nosniff", page.headers().firstValue("x-content-type-options").orElse(""));
        assertEquals("no-store", page.headers().firstValue("cache-control").orElse(""));
        assertTrue(page.body().contains("content=\"" + token + "\""));
        assertEquals(200, send(request("/ops?x=1").GET()).statusCode());
        assertEquals(200, send(request("/static/chat.js").GET()).statusCode());
    }

    @Test
    void shouldRefuseOtherMethodsAndUnknownAssets() throws IOException, InterruptedException
    {
        final HttpResponse<String> post = send(request("/").POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(405, post.statusCode());
        assertEquals("GET", post.headers().firstValue("allow").orElse(""));
        final HttpResponse<String> missing = send(request("/static/missing.js").GET());
        assertEquals(404, missing.statusCode());
        assertEquals("not_found", JSON.readTree(missing.body()).at("/error/code").asText());
    }

    @Test
    void shouldRequireATokenForOpsStats() throws IOException, InterruptedException
    {
        final HttpResponse<String> anonymous = send(request("/v1/ops/stats").GET());
        assertEquals(401, anonymous.statusCode());
        assertEquals("unauthorized", JSON.readTree(anonymous.body()).at("/error/code").asText());
        assertEquals(405, send(request("/v1/ops/stats").header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.noBody())).statusCode());
    }

    @Test
    void shouldCountChatRepliesInOpsStats() throws IOException, InterruptedException
    {
        for (int i = 0; i < 3; i++)
        {
            final HttpResponse<String> reply = send(request("/v1/chat").header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"校招年假几天\"}", StandardCharsets.UTF_8)));
            assertEquals(200, reply.statusCode(), reply.body());
        }
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode stats;
        final String operator = TestServer.ISSUER.issue("operator", null, java.util.List.of("ops"), Duration.ofHours(1),
            System.currentTimeMillis());
        assertEquals(403, send(request("/v1/ops/stats").header("Authorization", "Bearer " + token).GET()).statusCode(),
            "a candidate's token may not read the operator figures");
        do
        {
            final HttpResponse<String> response = send(request("/v1/ops/stats").header("Authorization", "Bearer " + operator).GET());
            assertEquals(200, response.statusCode(), response.body());
            assertEquals("application/json; charset=utf-8", response.headers().firstValue("content-type").orElse(""));
            stats = JSON.readTree(response.body());
            if (stats.get("requests_total").asLong() < 3)
            {
                // the figures are taken at most once a second: poll again shortly
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
        while (stats.get("requests_total").asLong() < 3 && System.nanoTime() < deadline);
        assertTrue(stats.get("requests_total").asLong() >= 3, stats.toString());
        assertTrue(stats.at("/latency_ms/p99").asDouble() > 0, stats.toString());
        assertEquals("memory", stats.at("/session_store/kind").asText());
    }
}
