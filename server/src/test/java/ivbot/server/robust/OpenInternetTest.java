package ivbot.server.robust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import ivbot.server.HttpApiTest;
import ivbot.server.RawHttp;
import ivbot.server.ServerConfig;
import ivbot.server.TestServer;
import ivbot.server.auth.Principal;
import ivbot.server.session.InMemorySessionStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The findings of a hostile-client review of a server facing the internet, each as it was reproduced:
 * output buffering without bound, request smuggling through {@code Expect}, one user's session flood,
 * limits per user and per address, percent-encoded routing, loose framing, headers.
 */
@Timeout(120)
class OpenInternetTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private static long usedDirectMemory()
    {
        final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        return alloc instanceof ByteBufAllocatorMetricProvider ?
            ((ByteBufAllocatorMetricProvider)alloc).metric().usedDirectMemory() : 0;
    }

    private static long rssBytes() throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
        {
            if (line.startsWith("VmRSS:"))
            {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    /**
     * Writes {@code request} over and over for at most {@code millis} and never reads a reply; the writing
     * thread blocks once TCP pushes back and is freed when the socket closes.
     */
    private static long flood(final Socket socket, final byte[] request, final long millis) throws Exception
    {
        final AtomicLong sent = new AtomicLong();
        final Thread writer = new Thread(() ->
        {
            try
            {
                final OutputStream out = socket.getOutputStream();
                final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
                for (int i = 0; i < 5_000_000 && System.nanoTime() < end; i++)
                {
                    out.write(request);
                    sent.incrementAndGet();
                }
            }
            catch (final IOException closed)
            {
                // the socket was closed under a blocked write: the flood is over
            }
        }, "flood");
        writer.start();
        writer.join(millis + 1000);
        return sent.get();
    }

    private static void assertAnswersHealthz(final TestServer server) throws IOException
    {
        try (Socket other = server.connect(5_000))
        {
            final long start = System.nanoTime();
            other.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            final String[] response = HttpApiTest.readResponse(other.getInputStream());
            assertTrue(response[0].startsWith("HTTP/1.1 200"), response[0]);
            final long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMs < 2_000, "another client waited " + tookMs + " ms");
        }
    }

    @Test
    void shouldBoundWhatAConnectionThatNeverReadsCanMakeTheServerHold() throws Exception
    {
        try (TestServer server = TestServer.start();
             Socket socket = server.connect(5_000))
        {
            socket.setReceiveBufferSize(4096);
            final long directBefore = usedDirectMemory();
            final long rssBefore = rssBytes();
            final byte[] request = "GET /static/chat.js HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            final long sent = flood(socket, request, 3_000);
            final long directGrowth = usedDirectMemory() - directBefore;
            final long rssGrowth = rssBytes() - rssBefore;
            System.out.println("HTTP flood: " + sent + " requests sent, direct memory +" + (directGrowth >> 10) +
                " KiB, RSS +" + (rssGrowth >> 20) + " MiB");
            // per connection: the high water mark (64 KiB) plus one response, and what one 16 KiB read decodes
            assertTrue(directGrowth < 16L << 20, "direct memory grew " + (directGrowth >> 10) + " KiB after " + sent + " requests");
            assertTrue(rssGrowth < 200L << 20, "RSS grew " + (rssGrowth >> 20) + " MiB after " + sent + " requests");
            assertAnswersHealthz(server);
            socket.close();
        }
    }

    @Test
    void shouldBoundWhatAFrameConnectionThatNeverReadsCanMakeTheServerHold() throws Exception
    {
        try (TestServer server = TestServer.start();
             Socket socket = server.connect(5_000))
        {
            socket.setReceiveBufferSize(4096);
            // authenticate the connection once, then small requests on one session whose replies are far larger
            final ByteArrayOutputStream framed = new ByteArrayOutputStream();
            ivbot.proto.Frame.newBuilder().setAuth(ivbot.proto.Auth.newBuilder().setToken(TestServer.token("frame-flooder")))
                .build().writeDelimitedTo(framed);
            socket.getOutputStream().write(framed.toByteArray());
            framed.reset();
            ivbot.proto.Frame.newBuilder().setChatRequest(ivbot.proto.ChatRequest.newBuilder()
                .setSessionId("frameflood01").setQuery("年假")).build().writeDelimitedTo(framed);
            final long directBefore = usedDirectMemory();
            final long sent = flood(socket, framed.toByteArray(), 3_000);
            final long directGrowth = usedDirectMemory() - directBefore;
            System.out.println("frame flood: " + sent + " frames sent, direct memory +" + (directGrowth >> 10) + " KiB");
            assertTrue(directGrowth < 16L << 20, "direct memory grew " + (directGrowth >> 10) + " KiB after " + sent + " frames");
            assertAnswersHealthz(server);
            socket.close();
        }
    }

    /**
     * Reads every response the server sends until it closes (or goes quiet for 3 s).
     */
    private static String readAll(final Socket socket) throws IOException
    {
        socket.setSoTimeout(3_000);
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        final InputStream in = socket.getInputStream();
        final byte[] buffer = new byte[8192];
        try
        {
            int n;
            while ((n = in.read(buffer)) > 0)
            {
                all.write(buffer, 0, n);
            }
        }
        catch (final SocketTimeoutException | SocketException quietOrReset)
        {
            // what arrived is what counts
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    private static int count(final String text, final String what)
    {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1))
        {
            n++;
        }
        return n;
    }

    private static byte[] smuggling(final String expect) throws IOException
    {
        final String smuggled = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(("POST /v1/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20000\r\n" +
            "Expect: " + expect + "\r\n\r\n" + smuggled).getBytes(StandardCharsets.US_ASCII));
        out.write(new byte[20000 - smuggled.length()]);
        return out.toByteArray();
    }

    @Test
    void shouldNeverRunABodySentAfterAnExpectationItRefused() throws Exception
    {
        try (TestServer server = TestServer.start())
        {
            for (final String expect : List.of("100-continue", "foo"))
            {
                try (Socket socket = server.connect(5_000))
                {
                    // the client does not wait for "100 Continue": RFC 9110 allows it to send the body at once
                    socket.getOutputStream().write(smuggling(expect));
                    final String answer = readAll(socket);
                    assertEquals(1, count(answer, "HTTP/1.1 "), "exactly one response for Expect: " + expect + ":\n" + answer);
                    assertTrue(answer.startsWith(expect.equals("foo") ? "HTTP/1.1 417" : "HTTP/1.1 413"), answer);
                    assertFalse(answer.contains("ivbot_"), "the smuggled GET /metrics ran:\n" + answer);
                }
            }
        }
    }

    private static JsonNode chat(final TestServer server, final String token, final String body) throws IOException
    {
        final String[] response = RawHttp.chat(server.port(), token, body);
        assertTrue(response[0].startsWith("HTTP/1.1 200"), response[0] + response[1]);
        return JSON.readTree(response[1]);
    }

    @Test
    void shouldKeepAVictimsSessionWhileAnotherUserFloodsNewOnes() throws Exception
    {
        final ServerConfig config = new ServerConfig();
        try (TestServer server = TestServer.start(new InMemorySessionStore(10_000, 600, 16, Ticker.systemTicker()), config))
        {
            final String victim = TestServer.token("victim");
            final String sessionId = chat(server, victim, "{\"query\":\"校招生年假几天?\"}").path("session_id").asText();
            final String flooder = TestServer.token("flooder");
            final String firstOfFlood = chat(server, flooder, "{\"query\":\"年假几天\"}").path("session_id").asText();
            for (int i = 0; i < 100; i++)
            {
                chat(server, flooder, "{\"query\":\"年假几天\"}");
            }
            final JsonNode next = chat(server, victim, "{\"session_id\":\"" + sessionId + "\",\"query\":\"那病假呢\"}");
            assertEquals(2, next.path("turn").asInt(), next.toString());
            assertEquals("leave_sick", next.path("intent").asText());
            assertEquals("campus", next.path("audience").asText());
            assertTrue(next.path("context_lost").isMissingNode() || !next.path("context_lost").asBoolean(), next.toString());
            // the flooder's oldest session went to make room for its newest, and its next turn says so
            final JsonNode evicted = chat(server, flooder, "{\"session_id\":\"" + firstOfFlood + "\",\"query\":\"那病假呢\"}");
            assertEquals(1, evicted.path("turn").asInt(), evicted.toString());
            assertTrue(evicted.path("context_lost").asBoolean(), evicted.toString());
        }
    }

    @Test
    void shouldRouteOnTheRawPathOnly() throws Exception
    {
        try (TestServer server = TestServer.start())
        {
            for (final String path : List.of("/%6detrics", "/v1/ops/%73tats", "/v1/sessions/%41bcdefghij"))
            {
                final String[] response = RawHttp.exchange(server.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
                assertTrue(response[0].startsWith("HTTP/1.1 400"), path + ": " + response[0]);
                assertTrue(response[1].contains("percent-encoded"), response[1]);
            }
        }
    }

    @Test
    void shouldRefuseLooseFraming() throws Exception
    {
        try (TestServer server = TestServer.start())
        {
            assertTrue(RawHttp.exchange(server.port(), "GET /healthz HTTP/1.1\r\n\r\n")[0].startsWith("HTTP/1.1 400"), "no Host");
            assertTrue(RawHttp.exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")[0].startsWith("HTTP/1.1 400"),
                "two Host headers");
            assertTrue(RawHttp.exchange(server.port(), "GET /healthz HTTP/9.9\r\nHost: a\r\n\r\n")[0].startsWith("HTTP/1.1 505"), "HTTP/9.9");
            // an empty line before the request line is HTTP (RFC 9112 lets a client send one), not protobuf
            assertTrue(RawHttp.exchange(server.port(), "\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")[0].startsWith("HTTP/1.1 200"));
            // methods are case-sensitive: "get" is HTTP, but not a method this server knows
            assertTrue(RawHttp.exchange(server.port(), "get /healthz HTTP/1.1\r\nHost: a\r\n\r\n")[0].startsWith("HTTP/1.1 501"));
            final String token = TestServer.token("dup");
            final String[] dup = RawHttp.exchange(server.port(), "POST /v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                "\r\nAuthorization: Bearer " + TestServer.token("other") +
                "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
            assertTrue(dup[0].startsWith("HTTP/1.1 400"), dup[0]);
            assertTrue(dup[1].contains("more than one Authorization"), dup[1]);
        }
    }

    @Test
    void shouldSendSafeHeadersAndNoLibraryInternals() throws Exception
    {
        try (TestServer server = TestServer.start())
        {
            final String[] bad = RawHttp.chat(server.port(), TestServer.token("h"), "{\"query\": x}");
            assertTrue(bad[0].startsWith("HTTP/1.1 400"), bad[0]);
            assertTrue(bad[0].toLowerCase().contains("cache-control: no-store"), bad[0]);
            assertTrue(bad[0].toLowerCase().contains("x-content-type-options: nosniff"), bad[0]);
            final String message = JSON.readTree(bad[1]).at("/error/message").asText();
            assertTrue(message.matches("malformed JSON at line 1, column \\d+"), message);
            final String[] page = RawHttp.exchange(server.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(page[0].contains("base-uri 'none'; form-action 'self'"), page[0]);
            assertTrue(page[0].toLowerCase().contains("cache-control: no-store"), page[0]);
        }
    }

    @Test
    void shouldKeepOperatorFiguresAndReadinessDetailsForTheirTokens() throws Exception
    {
        try (TestServer server = TestServer.start())
        {
            final String candidate = TestServer.token("candidate");
            final String operator = TestServer.ISSUER.issue("operator", null, List.of(Principal.OPS), Duration.ofHours(1),
                System.currentTimeMillis());
            final String stats = "GET /v1/ops/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ";
            assertTrue(RawHttp.exchange(server.port(), stats + candidate + "\r\n\r\n")[0].startsWith("HTTP/1.1 403"));
            assertTrue(RawHttp.exchange(server.port(), stats + operator + "\r\n\r\n")[0].startsWith("HTTP/1.1 200"));
            final String[] anonymous = RawHttp.exchange(server.port(), "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("{\"status\":\"ready\"}", anonymous[1]);
            final String[] known = RawHttp.exchange(server.port(), "GET /readyz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + candidate + "\r\n\r\n");
            assertEquals("memory", JSON.readTree(known[1]).path("session_store").asText(), known[1]);
        }
    }

    @Test
    void shouldLimitEachUsersRateWithoutTouchingOthers() throws Exception
    {
        final ServerConfig config = new ServerConfig();
        config.userRatePerSecond = 0.5;
        config.userBurst = 3;
        config.addressRatePerSecond = 0;
        try (TestServer server = TestServer.startWithLimits(new InMemorySessionStore(1000, 600, Ticker.systemTicker()), config,
            TestServer.rulesOnlyClassifier()))
        {
            final String greedy = TestServer.token("greedy");
            for (int i = 0; i < 3; i++)
            {
                chat(server, greedy, "{\"query\":\"年假几天\"}");
            }
            final String[] limited = RawHttp.chat(server.port(), greedy, "{\"query\":\"年假几天\"}");
            assertTrue(limited[0].startsWith("HTTP/1.1 429"), limited[0]);
            assertTrue(limited[0].toLowerCase().contains("retry-after: 2"), limited[0]);
            assertEquals("rate_limited", JSON.readTree(limited[1]).at("/error/code").asText());
            assertEquals(1, chat(server, TestServer.token("patient"), "{\"query\":\"年假几天\"}").path("turn").asInt());
            server.reporter().roll();
            final String metrics = RawHttp.exchange(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")[1];
            assertTrue(metrics.contains("ivbot_rate_limited_total{by=\"user\"} 1\n"), metrics);
            assertTrue(metrics.contains("ivbot_rate_limited_total{by=\"address\"} 0\n"), metrics);
        }
    }

    @Test
    void shouldLimitEachAddressRateAndConnections() throws Exception
    {
        final ServerConfig config = new ServerConfig();
        config.userRatePerSecond = 0;
        config.addressRatePerSecond = 0.5;
        config.addressBurst = 2;
        config.maxConnectionsPerAddress = 2;
        try (TestServer server = TestServer.startWithLimits(new InMemorySessionStore(1000, 600, Ticker.systemTicker()), config,
            TestServer.rulesOnlyClassifier()))
        {
            final String healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
            try (Socket socket = server.connect(5_000))
            {
                final OutputStream out = socket.getOutputStream();
                out.write((healthz + healthz + healthz).getBytes(StandardCharsets.US_ASCII));
                assertTrue(HttpApiTest.readResponse(socket.getInputStream())[0].startsWith("HTTP/1.1 200"));
                assertTrue(HttpApiTest.readResponse(socket.getInputStream())[0].startsWith("HTTP/1.1 200"));
                assertTrue(HttpApiTest.readResponse(socket.getInputStream())[0].startsWith("HTTP/1.1 429"));
            }
            // another loopback address is another client: its own bucket and its own connections
            // (one after the other: two event loops may take simultaneous connects in either order)
            try (Socket a = connectFrom("127.0.0.2", server.port()))
            {
                a.getOutputStream().write(healthz.getBytes(StandardCharsets.US_ASCII));
                assertTrue(HttpApiTest.readResponse(a.getInputStream())[0].startsWith("HTTP/1.1 200"));
                try (Socket b = connectFrom("127.0.0.2", server.port()))
                {
                    b.getOutputStream().write(healthz.getBytes(StandardCharsets.US_ASCII));
                    assertTrue(HttpApiTest.readResponse(b.getInputStream())[0].startsWith("HTTP/1.1 200"));
                    assertThirdIsClosed(server.port(), healthz);
                }
            }
        }
    }

    private static void assertThirdIsClosed(final int port, final String healthz) throws IOException
    {
        // the third connection from one address is closed at once
        try (Socket c = connectFrom("127.0.0.2", port))
        {
            c.getOutputStream().write(healthz.getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, c.getInputStream().read());
        }
        catch (final SocketException reset)
        {
            // closed with a reset: refused too
        }
    }

    private static Socket connectFrom(final String local, final int port) throws IOException
    {
        final Socket socket = new Socket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
        socket.setSoTimeout(5_000);
        return socket;
    }
}
