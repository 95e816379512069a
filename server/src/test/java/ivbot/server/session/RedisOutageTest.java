package ivbot.server.session;

import ivbot.inference.Audience;
import ivbot.inference.Intent;
import ivbot.server.ChatService;
import ivbot.server.ServerConfig;
import ivbot.server.TestServer;
import ivbot.server.metrics.MetricsSnapshot;
import ivbot.server.metrics.PrometheusExporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A single redis-server of the test's own that is down at start, goes away, and comes back on the same
 * port: the server starts anyway, answers without context while Redis is down, holds writes for up to
 * 5 s during a short outage, answers busy when that runs out, and recovers by itself.
 */
class RedisOutageTest
{
    private static String uri(final int port)
    {
        return "redis://127.0.0.1:" + port;
    }

    @Test
    @Timeout(60)
    void shouldStartWithRedisDownAnswerWithoutContextAndRecoverWhenItComes()
    {
        try (RedisProcesses redis = new RedisProcesses())
        {
            final int port = RedisProcesses.freePort();
            final long openNs = System.nanoTime();
            final SessionStore store = SessionStores.open(uri(port), 600, Duration.ofSeconds(1), TestServer.catalog()::fromId);
            assertTrue(System.nanoTime() - openNs < TimeUnit.SECONDS.toNanos(3), "open must not wait on a refused port");
            assertFalse(store.isReady());
            assertEquals("connecting", store.state());

            try (TestServer server = TestServer.start(store, new ServerConfig());
                ChatLoad chat = new ChatLoad(server.port(), TestServer.token("outage")))
            {
                assertEquals(503, chat.get("/readyz"));
                final ChatLoad.Turn first = chat.turn(null, "校招生年假几天?");
                assertEquals(200, first.status(), first::toString);
                assertTrue(first.contextLost(), "a turn whose session could not be kept says so: " + first);
                final ChatLoad.Turn second = chat.turn(first.sessionId(), "那病假呢");
                assertEquals(200, second.status(), second::toString);
                assertTrue(second.contextLost(), second::toString);
                assertEquals(1, second.turn(), "answered without context");

                final long readNs = System.nanoTime();
                final CompletionException readError = assertThrows(CompletionException.class,
                    () -> store.load(first.sessionId()).join());
                final long readMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - readNs);
                assertInstanceOf(SessionStoreUnavailableException.class, readError.getCause());
                assertTrue(readMs <= 200, "a read while Redis is down fails fast: " + readMs + " ms");

                final long startNs = System.nanoTime();
                redis.server(port);
                RedisProcesses.await(() -> chat.get("/readyz") == 200, Duration.ofSeconds(10), "/readyz 200 once Redis is up");
                final long recoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                assertEquals("up", store.state());

                final ChatLoad.Turn fresh = chat.turn(null, "校招生年假几天?");
                final ChatLoad.Turn followUp = chat.turn(fresh.sessionId(), "那病假呢");
                assertEquals(200, followUp.status(), followUp::toString);
                assertFalse(followUp.contextLost(), followUp::toString);
                assertEquals(2, followUp.turn());
                assertEquals(TestServer.intent("leave_sick").id(), followUp.intent());
                assertEquals(Audience.CAMPUS.id(), followUp.audience(), "the audience came from the stored context");
                System.out.printf("redis down at start: context-lost turn %.1f ms, failed read %d ms, recovered %d ms after " +
                    "redis-server started%n", second.latencyUs() / 1000.0, readMs, recoverMs);
            }
        }
    }

    @Test
    @Timeout(60)
    void shouldAnswerBusyWhenAWriteCannotLandWithinFiveSecondsThenGoOnWithoutContext()
    {
        try (RedisProcesses redis = new RedisProcesses())
        {
            final RedisProcesses.Node node = redis.server();
            final SessionStore store = SessionStores.open(uri(node.port), 600, Duration.ofSeconds(1), TestServer.catalog()::fromId);
            try (TestServer server = TestServer.start(store, new ServerConfig());
                ChatLoad chat = new ChatLoad(server.port(), TestServer.token("outage")))
            {
                final ChatLoad.Turn first = chat.turn(null, "校招生年假几天?");
                assertEquals(200, first.status(), first::toString);
                assertFalse(first.contextLost());

                node.kill();
                final ChatLoad.Turn busy = chat.turn(null, "试用期多久");
                assertEquals(503, busy.status(), busy::toString);
                assertEquals("busy", busy.code());
                assertEquals(ChatService.BUSY_MESSAGE, busy.message());
                assertNotNull(busy.retryAfter(), "Retry-After");
                final long waitedMs = busy.latencyUs() / 1000;
                assertTrue(waitedMs >= 4500 && waitedMs <= 7000, "the write waited its 5 s window: " + waitedMs + " ms");

                RedisProcesses.await(() -> "down".equals(store.state()), Duration.ofSeconds(5), "store down");
                assertEquals(503, chat.get("/readyz"));
                final ChatLoad.Turn lost = chat.turn(first.sessionId(), "那病假呢");
                assertEquals(200, lost.status(), lost::toString);
                assertTrue(lost.contextLost(), lost::toString);
                assertTrue(lost.latencyUs() < TimeUnit.SECONDS.toMicros(1), "no waiting while down: " + lost);

                redis.server(node.port);
                RedisProcesses.await(() -> chat.get("/readyz") == 200, Duration.ofSeconds(10), "/readyz 200 once Redis is back");
                final ChatLoad.Turn back = chat.turn(null, "校招生年假几天?");
                final ChatLoad.Turn followUp = chat.turn(back.sessionId(), "那病假呢");
                assertEquals(200, followUp.status(), followUp::toString);
                assertFalse(followUp.contextLost());
                assertEquals(2, followUp.turn());
                System.out.printf("short outage: busy after %d ms, context-lost turn while down %.1f ms%n", waitedMs,
                    lost.latencyUs() / 1000.0);
            }
        }
    }

    @Test
    @Timeout(60)
    void shouldLandWritesHeldDuringAnOutageInOrderPerSession()
    {
        try (RedisProcesses redis = new RedisProcesses())
        {
            final RedisProcesses.Node node = redis.server();
            try (SessionStore store = SessionStores.open(uri(node.port), 600, Duration.ofSeconds(1), TestServer.catalog()::fromId))
            {
                final List<String> ids = new ArrayList<>();
                for (int i = 0; i < 5; i++)
                {
                    ids.add(SessionIds.newId());
                    store.save(new Session(ids.get(i), "u", TestServer.intent("salary"), null, 1, 1L)).join();
                }
                node.kill();
                RedisProcesses.await(() -> "switching".equals(store.state()), Duration.ofSeconds(2), "store switching");

                final long madeNs = System.nanoTime();
                final List<CompletableFuture<?>> saves = new ArrayList<>();
                final List<CompletableFuture<Boolean>> deletes = new ArrayList<>();
                for (final String id : ids)
                {
                    saves.add(store.save(new Session(id, "u", TestServer.intent("salary"), null, 2, 2L)));
                    saves.add(store.save(new Session(id, "u", TestServer.intent("probation"), null, 3, 3L)));
                    deletes.add(store.delete(id));
                    saves.add(store.save(new Session(id, "u", TestServer.intent("leave_annual"), Audience.INTERN, 1, 4L)));
                    saves.add(store.touch(id));
                    saves.add(store.save(new Session(id, "u", TestServer.intent("leave_sick"), Audience.INTERN, 2, 5L)));
                }
                final CompletableFuture<Session> waitingRead = store.load(ids.get(0));
                assertEquals(30, store.pendingWrites());
                assertFalse(waitingRead.isDone(), "a read during a switch waits too");
                final StringBuilder exposition = new StringBuilder();
                PrometheusExporter.appendSessionStore(exposition, MetricsSnapshot.StoreFigures.of(store));
                assertTrue(exposition.toString().contains("\nivbot_session_store_state{state=\"switching\"} 1\n"), exposition.toString());
                assertTrue(exposition.toString().contains("\nivbot_session_store_pending_writes 30\n"), exposition.toString());
                assertTrue(exposition.toString().contains("\nivbot_session_store_up 0\n"), exposition.toString());

                redis.server(node.port);
                CompletableFuture.allOf(saves.toArray(new CompletableFuture<?>[0])).join();
                final long landedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - madeNs);
                assertTrue(landedMs < 5000, "landed within the window: " + landedMs);
                for (final CompletableFuture<Boolean> delete : deletes)
                {
                    assertTrue(delete.join(), "the delete came after the saves made before it");
                }
                waitingRead.join();
                for (final String id : ids)
                {
                    final Map<String, String> hash = Resp.hgetall(node.port, SessionIds.key(id));
                    assertEquals(Map.of("user", "u", "intent", "leave_sick", "audience", "intern", "turn", "2", "updated", "5"),
                        hash, "the last write of " + id + " is the one that stays");
                    final long ttl = (Long)Resp.call(node.port, "TTL", SessionIds.key(id));
                    assertTrue(ttl > 590, "ttl " + ttl);
                }
                assertEquals(0, store.pendingWrites());
                assertEquals(0, store.failedWrites());
                System.out.printf("held writes: 30 writes of 5 sessions landed %d ms after they were made%n", landedMs);
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldNeverMoveASessionBackToAnOlderTurnOrToAnotherOwner()
    {
        try (RedisProcesses redis = new RedisProcesses())
        {
            final RedisProcesses.Node node = redis.server();
            try (SessionStore store = SessionStores.open(uri(node.port), 600, Duration.ofSeconds(1), TestServer.catalog()::fromId))
            {
                final String id = SessionIds.newId();
                final Session stored = new Session(id, "alice", TestServer.intent("salary"), Audience.EXPERIENCED, 5, 5L);
                store.save(stored).join();
                Resp.call(node.port, "EXPIRE", SessionIds.key(id), "30");

                store.save(new Session(id, "alice", TestServer.intent("leave_sick"), null, 1, 6L)).join();
                assertEquals(stored, store.load(id).join(), "a turn answered without context keeps the stored one");
                assertTrue((Long)Resp.call(node.port, "TTL", SessionIds.key(id)) > 590, "but renews its TTL");

                final java.util.concurrent.CompletionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.CompletionException.class,
                    () -> store.save(new Session(id, "mallory", TestServer.intent("salary"), null, 9, 7L)).join());
                assertTrue(refused.getCause() instanceof ivbot.server.session.SessionConflictException, refused.toString());
                assertEquals(stored, store.load(id).join(), "another user's write is refused and changes nothing");

                Resp.call(node.port, "SCRIPT", "FLUSH");
                final Session next = new Session(id, "alice", TestServer.intent("probation"), Audience.EXPERIENCED, 6, 8L);
                store.save(next).join();
                assertEquals(next, store.load(id).join(), "a master that lost the script (a failover) gets it again");
            }
        }
    }
}
