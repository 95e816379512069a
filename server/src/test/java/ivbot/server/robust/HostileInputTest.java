package ivbot.server.robust;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import ivbot.proto.ChatRequest;
import ivbot.proto.Frame;
import ivbot.server.LeakCounter;
import ivbot.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded, bounded fuzzing of both protocols over real sockets, plus the named attacks: huge headers,
 * 10,000 pipelined requests, JWT tricks, ill-formed session ids. Nothing may crash the server, leak a
 * buffer, or answer 5xx.
 */
@Timeout(180)
class HostileInputTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestServer server;

    @BeforeAll
    static void start()
    {
        server = TestServer.start();
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    private static Socket connect() throws IOException
    {
        return server.connect(5_000);
    }

    /**
     * Sends bytes and reads whatever the server answers until it closes or goes quiet.
     */
    /**
     * Sends {@code bytes} and reads until the server closes, or until it has been quiet for
     * {@code quietMs}: garbage may leave the server waiting for more, a request that closes the connection
     * gets its whole answer.
     */
    private static String exchange(final byte[] bytes, final int quietMs) throws IOException
    {
        try (Socket socket = connect())
        {
            socket.setSoTimeout(quietMs);
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            final ByteArrayOutputStream got = new ByteArrayOutputStream();
            final byte[] buf = new byte[4096];
            try
            {
                int n;
                while ((n = socket.getInputStream().read(buf)) > 0 && got.size() < 1 << 20)
                {
                    got.write(buf, 0, n);
                }
            }
            catch (final SocketTimeoutException quiet)
            {
                // the server waits for more bytes: fine
            }
            catch (final IOException reset)
            {
                // closed on us mid-write: fine
            }
            return got.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static void assertServerHealthy() throws IOException
    {
        final String reply = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 10_000);
        assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
    }

    private static void assertNo5xx(final String reply)
    {
        int at = reply.indexOf("HTTP/1.1 ");
        while (at >= 0)
        {
            final char status = reply.charAt(at + 9);
            assertTrue(status != '5', "a 5xx answer: " + reply.substring(at, Math.min(reply.length(), at + 200)));
            at = reply.indexOf("HTTP/1.1 ", at + 1);
        }
    }

    @Test
    void shouldSurviveSeededGarbageOnBothProtocols() throws Exception
    {
        final Random random = new Random(20261125);
        final String token = TestServer.token("fuzz");
        for (int round = 0; round < 240; round++)
        {
            final byte[] input;
            switch (round % 6)
            {
                case 0:
                    input = new byte[1 + random.nextInt(2048)];
                    random.nextBytes(input);
                    break;
                case 1:
                {
                    final byte[] header = new byte[random.nextInt(512)];
                    random.nextBytes(header);
                    input = concat(("POST /v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n").getBytes(StandardCharsets.US_ASCII),
                        header, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    break;
                }
                case 2:
                {
                    // JSON with malformed UTF-8 and random bytes inside the query
                    final byte[] junk = new byte[1 + random.nextInt(64)];
                    random.nextBytes(junk);
                    final byte[] body = concat("{\"query\":\"".getBytes(StandardCharsets.US_ASCII), junk, "\"}".getBytes(StandardCharsets.US_ASCII));
                    input = concat(("POST /v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII), body);
                    break;
                }
                case 3:
                {
                    // a valid length prefix, then random protobuf bytes
                    final byte[] body = new byte[1 + random.nextInt(200)];
                    random.nextBytes(body);
                    input = concat(new byte[] {(byte)body.length < 0 ? 0x7F : (byte)Math.min(127, body.length)}, body);
                    break;
                }
                case 4:
                {
                    // a valid frame with a few bytes flipped
                    final ByteArrayOutputStream out = new ByteArrayOutputStream();
                    Frame.newBuilder().setChatRequest(ChatRequest.newBuilder().setRequestId(round).setToken(token)
                        .setQuery("年假几天" + round).setSessionId(round % 2 == 0 ? "" : "../../" + round)).build().writeDelimitedTo(out);
                    input = out.toByteArray();
                    for (int flips = 1 + random.nextInt(4); flips > 0; flips--)
                    {
                        input[random.nextInt(input.length)] ^= (byte)(1 << random.nextInt(8));
                    }
                    break;
                }
                default:
                {
                    // a varint length prefix that never ends, or claims a huge frame
                    input = random.nextBoolean() ? new byte[] {(byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFF} :
                        new byte[] {(byte)0xFF, (byte)0xFF, (byte)0xFF, 0x07};
                    break;
                }
            }
            assertNo5xx(exchange(input, 300));
        }
        assertServerHealthy();
    }

    @Test
    void shouldAnswer431ToHugeHeaders() throws Exception
    {
        final String reply = exchange(("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII), 10_000);
        assertTrue(reply.startsWith("HTTP/1.1 431"), reply.substring(0, Math.min(200, reply.length())));
        assertServerHealthy();
    }

    @Test
    void shouldAnswerTenThousandPipelinedRequestsInOrder() throws Exception
    {
        final int count = 10_000;
        final String token = TestServer.token("pipeliner");
        try (Socket socket = connect())
        {
            socket.setSoTimeout(60_000);
            final AtomicReference<Throwable> writeError = new AtomicReference<>();
            final Thread writer = new Thread(() ->
            {
                try
                {
                    final OutputStream out = socket.getOutputStream();
                    for (int i = 0; i < count; i++)
                    {
                        final String json = "{\"query\":\"公积金\"}";
                        final String request = i % 2 == 0 ?
                            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" :
                            "POST /v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                                + "\r\nContent-Type: application/json\r\nContent-Length: "
                                + json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json;
                        out.write(request.getBytes(StandardCharsets.UTF_8));
                    }
                    out.flush();
                }
                catch (final IOException ex)
                {
                    writeError.set(ex);
                }
            });
            writer.start();
            final InputStream in = socket.getInputStream();
            for (int i = 0; i < count; i++)
            {
                final String[] response = ivbot.server.HttpApiTest.readResponse(in);
                final String head = response[0];
                assertTrue(head.startsWith("HTTP/1.1 200"), "response " + i + ": " + head);
                final String body = response[1];
                if (i % 2 == 1)
                {
                    assertEquals("social_insurance", JSON.readTree(body).path("intent").asText(), "response " + i);
                }
            }
            writer.join(30_000);
            assertEquals(null, writeError.get());
        }
    }

    @Test
    void shouldRefuseJwtTricksAndIllFormedSessionIds() throws Exception
    {
        final String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8))
            + "." + Base64.getUrlEncoder().withoutPadding().encodeToString("{\"sub\":\"admin\"}".getBytes(StandardCharsets.UTF_8)) + ".";
        for (final String token : new String[] {none, "a".repeat(5000), "x.y.z", "", TestServer.token("ok").replace('.', '_')})
        {
            final String reply = post(token, "{\"query\":\"年假几天\"}");
            assertTrue(reply.startsWith("HTTP/1.1 401"), reply);
        }
        final String token = TestServer.token("ids");
        for (final String id : new String[] {"../../etc/passwd", "short", "x".repeat(65), "有中文的会话编号123", "a b c d e f g h", "%00%00%00%00%00"})
        {
            final String reply = post(token, JSON.createObjectNode().put("query", "年假几天").put("session_id", id).toString());
            assertTrue(reply.startsWith("HTTP/1.1 400"), id + ": " + reply);
        }
    }

    private static String post(final String token, final String json) throws IOException
    {
        final byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return exchange(concat(("POST /v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
            + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8), body), 10_000);
    }

    @Test
    void shouldLeakNoBuffer() throws Exception
    {
        shouldSurviveSeededGarbageOnBothProtocols();
        // leaks are reported when the leak detector polls its queue on later allocations after a GC
        for (int i = 0; i < 5; i++)
        {
            System.gc();
            for (int j = 0; j < 200; j++)
            {
                final ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
                buf.release();
            }
            assertServerHealthy();
        }
        assertEquals(0, LeakCounter.leaks(), "buffers leaked (see the LEAK: lines in the log)");
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
