package ivbot.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
public class HttpApiTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestServer server;
    private static HttpClient client;

    @BeforeAll
    static void start()
    {
        server = TestServer.start();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    private static URI uri(final String path)
    {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static HttpResponse<String> post(final String path, final String token, final String contentType, final String body)
        throws IOException, InterruptedException
    {
        final HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (token != null)
        {
            b.header("Authorization", "Bearer " + token);
        }
        if (contentType != null)
        {
            b.header("Content-Type", contentType);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> chat(final String token, final String body) throws IOException, InterruptedException
    {
        return post("/v1/chat", token, "application/json", body);
    }

    private static JsonNode json(final HttpResponse<String> response) throws IOException
    {
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"),
            "content type of " + response.body());
        return JSON.readTree(response.body());
    }

    private static void assertError(final HttpResponse<String> response, final int status, final String code)
        throws IOException
    {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals(code, json(response).path("error").path("code").asText(), response.body());
        assertFalse(json(response).path("error").path("message").asText().isEmpty());
    }

    @Test
    void shouldAnswerSickLeaveForCampusInSecondTurn() throws Exception
    {
        final String token = TestServer.token("alice");
        final JsonNode first = json(chat(token, "{\"query\":\"校招生年假几天?\"}"));
        assertEquals("leave_annual", first.path("intent").asText());
        assertEquals("campus", first.path("audience").asText());
        assertEquals("rules", first.path("source").asText());
        final String sessionId = first.path("session_id").asText();
        assertTrue(sessionId.length() >= 8);

        final HttpResponse<String> second = chat(token, "{\"session_id\":\"" + sessionId + "\",\"query\":\"那病假呢\"}");
        assertEquals(200, second.statusCode());
        final JsonNode reply = json(second);
        assertEquals(sessionId, reply.path("session_id").asText());
        assertEquals("leave_sick", reply.path("intent").asText());
        assertEquals("campus", reply.path("audience").asText());
        assertEquals(TestServer.kb().answer(TestServer.intent("leave_sick"), ivbot.inference.Audience.CAMPUS),
            reply.path("answer").asText());
        assertEquals(2, reply.path("turn").asInt());
        assertTrue(reply.path("latency_ms").asDouble() >= 0);
        for (final String field : new String[] {"confidence", "model_version"})
        {
            assertTrue(reply.has(field), field);
        }
    }

    @Test
    void shouldSwitchAudienceOnAudienceOnlyFollowUp() throws Exception
    {
        final String token = TestServer.token("bob");
        final String sid = json(chat(token, "{\"query\":\"校招年假几天\"}")).path("session_id").asText();
        final JsonNode reply = json(chat(token, "{\"session_id\":\"" + sid + "\",\"query\":\"那实习生呢\"}"));
        assertEquals("leave_annual", reply.path("intent").asText());
        assertEquals("intern", reply.path("audience").asText());
    }

    @Test
    void shouldUseCallerAudienceWhenTheQueryNamesNone() throws Exception
    {
        final JsonNode reply = json(chat(TestServer.token("carol"), "{\"query\":\"年假几天\",\"audience\":\"experienced\"}"));
        assertEquals("experienced", reply.path("audience").asText());
    }

    @Test
    void shouldRejectBadBodiesWith400() throws Exception
    {
        final String token = TestServer.token("dave");
        assertError(chat(token, "{\"query\": "), 400, "bad_request");
        assertError(chat(token, "[]"), 400, "bad_request");
        assertError(chat(token, "{}"), 400, "bad_request");
        assertError(chat(token, "{\"query\":\"   \"}"), 400, "bad_request");
        assertError(chat(token, "{\"query\":\"" + "年".repeat(513) + "\"}"), 400, "bad_request");
        assertEquals(200, chat(token, "{\"query\":\"" + "年".repeat(512) + "\"}").statusCode());
        assertError(chat(token, "{\"query\":\"年假\",\"audience\":\"vip\"}"), 400, "bad_request");
        assertError(chat(token, "{\"query\":\"年假\",\"session_id\":\"../../etc\"}"), 400, "bad_request");
    }

    @Test
    void shouldRejectBadTokensWith401() throws Exception
    {
        assertError(chat(null, "{\"query\":\"年假\"}"), 401, "unauthorized");
        assertError(post("/v1/chat", "not-a-jwt", "application/json", "{\"query\":\"年假\"}"), 401, "unauthorized");
        final HttpRequest basic = HttpRequest.newBuilder(uri("/v1/chat")).header("Authorization", "Basic Zm9vOmJhcg==")
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"x\"}")).build();
        assertError(client.send(basic, HttpResponse.BodyHandlers.ofString()), 401, "unauthorized");

        final String foreign = new ivbot.server.auth.TokenIssuer("another-secret-of-at-least-32-bytes!!".getBytes(StandardCharsets.UTF_8))
            .issue("eve", null, Duration.ofHours(1), System.currentTimeMillis());
        assertError(chat(foreign, "{\"query\":\"年假\"}"), 401, "unauthorized");

        final String expired = TestServer.ISSUER.issue("eve", null, Duration.ofMinutes(1), System.currentTimeMillis() - 3_600_000);
        final HttpResponse<String> response = chat(expired, "{\"query\":\"年假\"}");
        assertError(response, 401, "unauthorized");
        assertEquals("token expired", json(response).path("error").path("message").asText());
    }

    @Test
    void shouldForbidAnotherUsersSession() throws Exception
    {
        final String sid = json(chat(TestServer.token("owner"), "{\"query\":\"试用期多久\"}")).path("session_id").asText();
        final String intruder = TestServer.token("intruder");
        assertError(chat(intruder, "{\"session_id\":\"" + sid + "\",\"query\":\"那实习生呢\"}"), 403, "forbidden");
        assertError(post("/v1/sessions/" + sid + "/heartbeat", intruder, null, ""), 403, "forbidden");
        final HttpRequest delete = HttpRequest.newBuilder(uri("/v1/sessions/" + sid))
            .header("Authorization", "Bearer " + intruder).DELETE().build();
        assertError(client.send(delete, HttpResponse.BodyHandlers.ofString()), 403, "forbidden");
        // the owner's conversation is untouched
        final JsonNode next = json(chat(TestServer.token("owner"), "{\"session_id\":\"" + sid + "\",\"query\":\"工资打几折\"}"));
        assertEquals("probation", next.path("intent").asText());
        assertEquals(2, next.path("turn").asInt());
    }

    @Test
    void shouldHeartbeatAndDeleteOwnSession() throws Exception
    {
        final String token = TestServer.token("frank");
        final String sid = json(chat(token, "{\"query\":\"婚假几天\"}")).path("session_id").asText();
        final HttpResponse<String> beat = post("/v1/sessions/" + sid + "/heartbeat", token, null, "");
        assertEquals(200, beat.statusCode());
        assertEquals(600, json(beat).path("ttl_seconds").asInt());

        final HttpRequest delete = HttpRequest.newBuilder(uri("/v1/sessions/" + sid)).header("Authorization", "Bearer " + token).DELETE().build();
        assertEquals(200, client.send(delete, HttpResponse.BodyHandlers.ofString()).statusCode());
        assertError(client.send(delete, HttpResponse.BodyHandlers.ofString()), 404, "not_found");
        assertError(post("/v1/sessions/" + sid + "/heartbeat", token, null, ""), 404, "not_found");
    }

    @Test
    void shouldAnswer404And405() throws Exception
    {
        assertError(client.send(HttpRequest.newBuilder(uri("/nope")).GET().build(), HttpResponse.BodyHandlers.ofString()), 404, "not_found");
        final HttpResponse<String> getChat = client.send(HttpRequest.newBuilder(uri("/v1/chat")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertError(getChat, 405, "method_not_allowed");
        assertEquals("POST", getChat.headers().firstValue("allow").orElse(""));
        assertError(post("/healthz", null, null, ""), 405, "method_not_allowed");
    }

    @Test
    void shouldAnswer413ForBodyOver16KiB() throws Exception
    {
        final String big = "{\"query\":\"年假\",\"pad\":\"" + "x".repeat(17 * 1024) + "\"}";
        assertError(chat(TestServer.token("gina"), big), 413, "payload_too_large");
    }

    private static String chatRequest(final String token, final String body)
    {
        return RawHttp.chatRequest(token, body);
    }

    @Test
    void shouldAnswerOversizedBodyInOrderAndKeepThePipelinedConnection() throws Exception
    {
        final String token = TestServer.token("gina");
        final String big = "{\"query\":\"年假\",\"pad\":\"" + "x".repeat(40 * 1024) + "\"}";
        try (Socket socket = server.connect(10_000))
        {
            socket.getOutputStream().write((chatRequest(token, "{\"query\":\"年假几天\"}") +
                chatRequest(token, big) + chatRequest(token, "{\"query\":\"病假工资怎么算\"}"))
                .getBytes(StandardCharsets.UTF_8));
            final InputStream in = socket.getInputStream();
            assertEquals("leave_annual", JSON.readTree(readResponseBody(in)).path("intent").asText());
            final String[] tooLarge = readResponse(in);
            assertTrue(tooLarge[0].startsWith("HTTP/1.1 413"), tooLarge[0]);
            assertEquals("payload_too_large", JSON.readTree(tooLarge[1]).path("error").path("code").asText());
            assertEquals("leave_sick", JSON.readTree(readResponseBody(in)).path("intent").asText());
        }
    }

    @Test
    void shouldAnswer413BeforeTheBodyOnExpectContinue() throws Exception
    {
        try (Socket socket = server.connect(10_000))
        {
            socket.getOutputStream().write(("POST /v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                TestServer.token("gina") + "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n" +
                "Content-Length: 20000\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            final String[] tooLarge = readResponse(socket.getInputStream());
            assertTrue(tooLarge[0].startsWith("HTTP/1.1 413"), tooLarge[0]);
            assertEquals("payload_too_large", JSON.readTree(tooLarge[1]).path("error").path("code").asText());
            // the client may still send the body it announced (RFC 9110): the server cannot tell, so it closes
            assertTrue(tooLarge[0].toLowerCase(java.util.Locale.ROOT).contains("connection: close"), tooLarge[0]);
            assertEquals(-1, socket.getInputStream().read());
        }
    }

    @Test
    void shouldAnswer413AndThenEndTheStreamForAnOversizedChunkedBody() throws Exception
    {
        final StringBuilder chunks = new StringBuilder();
        for (int i = 0; i < 40; i++)
        {
            chunks.append("400\r\n").append("x".repeat(1024)).append("\r\n");
        }
        chunks.append("0\r\n\r\n");
        try (Socket socket = server.connect(10_000))
        {
            socket.getOutputStream().write(("POST /v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                TestServer.token("gina") + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                chunks).getBytes(StandardCharsets.UTF_8));
            final InputStream in = socket.getInputStream();
            final String[] tooLarge = readResponse(in);
            assertTrue(tooLarge[0].startsWith("HTTP/1.1 413"), tooLarge[0]);
            assertTrue(tooLarge[0].toLowerCase(java.util.Locale.ROOT).contains("connection: close"), tooLarge[0]);
            assertEquals("payload_too_large", JSON.readTree(tooLarge[1]).path("error").path("code").asText());
            assertEquals(-1, in.read(), "end of stream after the 413, not a reset");
        }
    }

    @Test
    void shouldAnswer415ForNonJsonContentType() throws Exception
    {
        assertError(post("/v1/chat", TestServer.token("hank"), "text/plain", "{\"query\":\"年假\"}"), 415, "unsupported_media_type");
        assertError(post("/v1/chat", TestServer.token("hank"), null, "{\"query\":\"年假\"}"), 415, "unsupported_media_type");
        assertEquals(200, post("/v1/chat", TestServer.token("hank"), "application/json; charset=UTF-8", "{\"query\":\"年假\"}").statusCode());
    }

    @Test
    void shouldReportHealthAndReadiness() throws Exception
    {
        final HttpResponse<String> health = client.send(HttpRequest.newBuilder(uri("/healthz")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        final HttpResponse<String> ready = client.send(HttpRequest.newBuilder(uri("/readyz")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode());
        assertEquals("ready", json(ready).path("status").asText());
        assertTrue(json(ready).path("session_store").isMissingNode(), "no details without a token: " + ready.body());
        final HttpResponse<String> detailed = client.send(HttpRequest.newBuilder(uri("/readyz"))
            .header("Authorization", "Bearer " + TestServer.token("ready")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("memory", json(detailed).path("session_store").asText());
    }

    @Test
    void shouldAnswerPipelinedRequestsInOrderOnOneConnection() throws Exception
    {
        final String token = TestServer.token("ivy");
        final String[] queries = {"年假几天", "病假工资怎么算", "婚假几天", "产假有多少天", "几点上班", "可以居家办公吗",
            "工资几号发", "公积金比例多少", "有饭补吗", "试用期多久"};
        final String[] intents = {"leave_annual", "leave_sick", "leave_marriage", "leave_parental", "work_hours",
            "remote_work", "salary", "social_insurance", "allowances", "probation"};
        final int rounds = 20;
        final StringBuilder requests = new StringBuilder();
        for (int r = 0; r < rounds; r++)
        {
            for (final String query : queries)
            {
                requests.append(chatRequest(token, "{\"query\":\"" + query + "\"}"));
            }
        }
        try (Socket socket = server.connect(20_000))
        {
            final OutputStream out = socket.getOutputStream();
            out.write(requests.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            final InputStream in = socket.getInputStream();
            for (int i = 0; i < rounds * queries.length; i++)
            {
                final String body = readResponseBody(in);
                assertEquals(intents[i % intents.length], JSON.readTree(body).path("intent").asText(), "response " + i);
            }
        }
    }

    @Test
    void shouldCloseAfterResponseWhenClientAsksConnectionClose() throws Exception
    {
        try (Socket socket = server.connect(10_000))
        {
            socket.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            final String body = readResponseBody(socket.getInputStream());
            assertEquals("ok", JSON.readTree(body).path("status").asText());
            assertEquals(-1, socket.getInputStream().read());
        }
    }

    @Test
    void shouldAnswer400AndCloseOnMalformedHttp() throws Exception
    {
        try (Socket socket = server.connect(10_000))
        {
            socket.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            final String head = readHead(socket.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 400"), head);
        }
    }

    @Test
    void shouldKeepSessionsSeparateForNewConversations() throws Exception
    {
        final String token = TestServer.token("jack");
        final String a = json(chat(token, "{\"query\":\"年假几天\"}")).path("session_id").asText();
        final String b = json(chat(token, "{\"query\":\"年假几天\"}")).path("session_id").asText();
        assertNotEquals(a, b);
    }

    public static String readHead(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4)
        {
            final int c = in.read();
            if (c < 0)
            {
                throw new IOException("connection closed inside a response head: " + head);
            }
            head.write(c);
            matched = (c == '\r' && (matched == 0 || matched == 2)) || (c == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    static String readResponseBody(final InputStream in) throws IOException
    {
        return readResponse(in)[1];
    }

    /**
     * @return the head and the body of the next response on {@code in}.
     */
    public static String[] readResponse(final InputStream in) throws IOException
    {
        final String head = readHead(in);
        int length = -1;
        for (final String line : head.split("\r\n"))
        {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:"))
            {
                length = Integer.parseInt(line.substring(15).strip());
            }
        }
        assertTrue(length >= 0, head);
        final byte[] body = in.readNBytes(length);
        assertEquals(length, body.length);
        return new String[] {head, new String(body, StandardCharsets.UTF_8)};
    }
}
