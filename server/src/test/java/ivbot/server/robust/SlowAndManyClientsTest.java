package ivbot.server.robust;

import com.github.benmanes.caffeine.cache.Ticker;
import ivbot.server.ServerConfig;
import ivbot.server.TestServer;
import ivbot.server.session.InMemorySessionStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class SlowAndManyClientsTest
{
    @Test
    void shouldCutOffAClientSendingOneBytePerInterval() throws Exception
    {
        final ServerConfig config = new ServerConfig();
        config.requestTimeoutMs = 1000;
        try (TestServer server = TestServer.start(new InMemorySessionStore(100, 600, Ticker.systemTicker()), config);
             Socket socket = server.connect(5_000))
        {
            final byte[] request = "POST /v1/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".getBytes(StandardCharsets.US_ASCII);
            final long start = System.nanoTime();
            boolean cut = false;
            // a slow client: one byte every 100 ms, for at most the whole request line and headers
            for (int i = 0; i < request.length && !cut; i++)
            {
                try
                {
                    socket.getOutputStream().write(request[i]);
                    socket.getOutputStream().flush();
                }
                catch (final SocketException closed)
                {
                    cut = true;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                if (socket.getInputStream().available() < 0)
                {
                    cut = true;
                }
            }
            final InputStream in = socket.getInputStream();
            try
            {
                assertEquals(-1, in.read(), "the server closed the connection");
            }
            catch (final SocketException reset)
            {
                // closed with a reset: cut off too
            }
            final long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMs < 4_000, "cut off after about the 1 s request timeout, took " + tookMs + " ms");
        }
    }

    @Test
    void shouldNotCutOffAnIdleKeepAliveConnectionBetweenRequests() throws Exception
    {
        final ServerConfig config = new ServerConfig();
        config.requestTimeoutMs = 300;
        try (TestServer server = TestServer.start(new InMemorySessionStore(100, 600, Ticker.systemTicker()), config);
             Socket socket = server.connect(5_000))
        {
            for (int i = 0; i < 3; i++)
            {
                socket.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                final String head = ivbot.server.HttpApiTest.readHead(socket.getInputStream());
                assertTrue(head.startsWith("HTTP/1.1 200"), head);
                socket.getInputStream().readNBytes(15);
                // idle longer than the request timeout between two requests
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(600));
            }
        }
    }

    @Test
    void shouldCloseConnectionsBeyondTheLimit() throws Exception
    {
        final ServerConfig config = new ServerConfig();
        config.maxConnections = 2;
        try (TestServer server = TestServer.start(new InMemorySessionStore(100, 600, Ticker.systemTicker()), config);
             Socket first = new Socket("127.0.0.1", server.port());
             Socket second = new Socket("127.0.0.1", server.port()))
        {
            assertHealthy(first);
            assertHealthy(second);
            try (Socket third = server.connect(5_000))
            {
                try
                {
                    assertEquals(-1, third.getInputStream().read());
                }
                catch (final SocketException reset)
                {
                    // refused with a reset
                }
            }
            assertHealthy(first);
        }
    }

    private static void assertHealthy(final Socket socket) throws IOException
    {
        socket.setSoTimeout(5_000);
        socket.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        final String head = ivbot.server.HttpApiTest.readHead(socket.getInputStream());
        assertTrue(head.startsWith("HTTP/1.1 200"), head);
        socket.getInputStream().readNBytes(15);
    }
}
