package ivbot.server;

import ivbot.proto.Auth;
import ivbot.proto.ChatRequest;
import ivbot.proto.Frame;
import ivbot.server.metrics.MetricsSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bug in a turn's logic (here a knowledge base that throws an unexpected {@link IllegalStateException})
 * answers a 500 {@code internal} that hides the cause from the client, and leaves exactly one ERROR line in
 * the log that names the request (HTTP: method and path; frames: the frame and its {@code request_id}) and
 * carries the cause; {@code ivbot_errors_total{code="internal"}} counts it. The log is read from stderr, where
 * SLF4J's simple provider writes it.
 */
@Timeout(60)
class InternalErrorLogTest
{
    private static final String BUG = "kb bug for InternalErrorLogTest";

    private TestServer server;

    @BeforeEach
    void start()
    {
        server = TestServer.startWithKnowledgeBase(() ->
        {
            throw new IllegalStateException(BUG);
        });
    }

    @AfterEach
    void stop()
    {
        server.close();
    }

    @Test
    void shouldLogOneErrorLineNamingTheHttpRequestOnA500() throws Exception
    {
        final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        final Captured<HttpResponse<String>> captured = capture(() -> client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat?trace=1"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + TestServer.token("log-user"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"年假几天\"}", StandardCharsets.UTF_8)).build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));

        assertEquals(500, captured.result.statusCode());
        assertTrue(captured.result.body().contains("\"internal\""), captured.result.body());
        assertFalse(captured.result.body().contains(BUG), "the cause stays on the server: " + captured.result.body());
        final List<String> errors = captured.errorLines();
        assertEquals(1, errors.size(), captured.log);
        assertTrue(errors.get(0).contains("request failed with 500 internal: POST /v1/chat"), errors.get(0));
        assertFalse(errors.get(0).contains("trace=1"), "the query string is not logged: " + errors.get(0));
        assertTrue(captured.log.contains("java.lang.IllegalStateException: " + BUG), "the cause follows: " + captured.log);
        assertInternalCounted(1);
    }

    @Test
    void shouldLogOneErrorLineWithTheRequestIdOfAFrameOnA500() throws Exception
    {
        final Captured<Frame> captured;
        try (Socket socket = server.connect(10_000))
        {
            final OutputStream out = socket.getOutputStream();
            final InputStream in = socket.getInputStream();
            Frame.newBuilder().setAuth(Auth.newBuilder().setToken(TestServer.token("log-user"))).build().writeDelimitedTo(out);
            assertTrue(Frame.parseDelimitedFrom(in).hasAuthOk());
            captured = capture(() ->
            {
                Frame.newBuilder().setChatRequest(ChatRequest.newBuilder().setRequestId(424242).setQuery("年假几天"))
                    .build().writeDelimitedTo(out);
                return Frame.parseDelimitedFrom(in);
            });
        }

        assertEquals(424242, captured.result.getError().getRequestId());
        assertEquals("internal", captured.result.getError().getCode());
        assertEquals(500, captured.result.getError().getStatus());
        assertFalse(captured.result.getError().getMessage().contains(BUG));
        final List<String> errors = captured.errorLines();
        assertEquals(1, errors.size(), captured.log);
        assertTrue(errors.get(0).contains("request failed with 500 internal: ChatRequest request_id=424242"), errors.get(0));
        assertTrue(captured.log.contains("java.lang.IllegalStateException: " + BUG), "the cause follows: " + captured.log);
        assertInternalCounted(1);
    }

    private void assertInternalCounted(final long expected)
    {
        final MetricsSnapshot snapshot = server.reporter().roll();
        assertEquals(expected, snapshot.errors().get("internal"));
        assertEquals(expected, snapshot.errorsTotal());
    }

    /** Runs {@code action} with stderr redirected into a buffer (and copied back afterwards). */
    private static <T> Captured<T> capture(final Callable<T> action) throws Exception
    {
        final PrintStream stderr = System.err;
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        final T result;
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try
        {
            result = action.call();
        }
        finally
        {
            System.setErr(stderr);
        }
        final String log = buffer.toString(StandardCharsets.UTF_8);
        stderr.print(log);
        return new Captured<>(result, log);
    }

    private record Captured<T>(T result, String log)
    {
        List<String> errorLines()
        {
            final List<String> lines = new ArrayList<>();
            for (final String line : log.split("\n"))
            {
                if (line.contains(" ERROR "))
                {
                    lines.add(line);
                }
            }
            return lines;
        }
    }
}
