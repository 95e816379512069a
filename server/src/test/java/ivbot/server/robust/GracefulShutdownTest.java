package ivbot.server.robust;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import ivbot.server.ServerConfig;
import ivbot.server.TestServer;
import ivbot.server.session.InMemorySessionStore;
import ivbot.server.session.Session;
import ivbot.server.session.SessionStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shutdown stops accepting, lets the request in flight finish and write its session, then stops.
 */
@Timeout(60)
class GracefulShutdownTest
{
    /**
     * An in-process store whose writes take 500 ms, as a slow Redis would.
     */
    private static final class SlowStore implements SessionStore
    {
        final InMemorySessionStore inner = new InMemorySessionStore(100, 600, Ticker.systemTicker());
        final ScheduledExecutorService delays = Executors.newSingleThreadScheduledExecutor();
        final CountDownLatch writing = new CountDownLatch(1);

        @Override
        public CompletableFuture<Session> load(final String id)
        {
            return inner.load(id);
        }

        @Override
        public CompletableFuture<Void> save(final Session session)
        {
            writing.countDown();
            final CompletableFuture<Void> done = new CompletableFuture<>();
            delays.schedule(() -> inner.save(session).thenRun(() -> done.complete(null)), 500, TimeUnit.MILLISECONDS);
            return done;
        }

        @Override
        public CompletableFuture<Boolean> touch(final String id)
        {
            return inner.touch(id);
        }

        @Override
        public CompletableFuture<Boolean> delete(final String id)
        {
            return inner.delete(id);
        }

        @Override
        public int ttlSeconds()
        {
            return inner.ttlSeconds();
        }

        @Override
        public boolean isReady()
        {
            return true;
        }

        @Override
        public String describe()
        {
            return "slow";
        }

        @Override
        public void close()
        {
            delays.shutdown();
        }
    }

    @Test
    void shouldFinishTheRequestInFlightAndStopAccepting() throws Exception
    {
        final SlowStore store = new SlowStore();
        final TestServer server = TestServer.start(store, new ServerConfig());
        final int port = server.port();
        final CompletableFuture<HttpResponse<String>> inFlight = HttpClient.newHttpClient().sendAsync(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat"))
                .header("Authorization", "Bearer " + TestServer.token("leaving"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"session_id\":\"shutdown-1\",\"query\":\"年假几天\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertTrue(store.writing.await(20, TimeUnit.SECONDS), "the turn reached its session write");

        final long start = System.nanoTime();
        server.close();
        final long tookMs = (System.nanoTime() - start) / 1_000_000;

        final HttpResponse<String> response = inFlight.get(10, TimeUnit.SECONDS);
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("leave_annual", new ObjectMapper().readTree(response.body()).path("intent").asText());
        assertEquals(1, store.inner.load("shutdown-1").join().turns(), "the session write landed");
        assertTrue(tookMs < 5_000, "shutdown is bounded, took " + tookMs + " ms");
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(), "no longer accepting");
    }
}
