package ivbot.server.session;

import ivbot.server.TestServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import ivbot.inference.Audience;
import ivbot.inference.Intent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Against a real redis-server: {@code IVBOT_TEST_REDIS}, default {@code redis://127.0.0.1:6379} (.ci/run
 * makes sure one answers there).
 */
@Timeout(60)
class RedisSessionStoreTest
{
    static final String URI = System.getenv().getOrDefault("IVBOT_TEST_REDIS", "redis://127.0.0.1:6379");

    private static RedisSessionStore store;
    private static RedisClient rawClient;
    private static StatefulRedisConnection<String, String> raw;

    @BeforeAll
    static void connect()
    {
        store = new RedisSessionStore(URI, 600, Duration.ofSeconds(2), TestServer.catalog()::fromId);
        rawClient = RedisClient.create(URI);
        raw = rawClient.connect();
    }

    @AfterAll
    static void close()
    {
        store.close();
        raw.close();
        rawClient.shutdown();
    }

    private static String freshId()
    {
        return "test-" + SessionIds.newId();
    }

    @Test
    void shouldWriteAHashAtSessionKeyWithTtl()
    {
        final String id = freshId();
        final Session session = new Session(id, "alice", TestServer.intent("leave_sick"), Audience.INTERN, 2, 1_700_000_000_000L);
        store.save(session).join();

        final RedisCommands<String, String> redis = raw.sync();
        final Map<String, String> hash = redis.hgetall("s:" + id);
        assertEquals(Map.of("user", "alice", "intent", "leave_sick", "audience", "intern", "turn", "2",
            "updated", "1700000000000"), hash);
        final long ttl = redis.ttl("s:" + id);
        assertTrue(ttl > 590 && ttl <= 600, "ttl " + ttl);
        assertEquals(session, store.load(id).join());
        redis.del("s:" + id);
    }

    @Test
    void shouldStoreUnknownIntentAndAudienceAsEmpty()
    {
        final String id = freshId();
        store.save(new Session(id, "bob", null, null, 1, 5L)).join();
        final Session loaded = store.load(id).join();
        assertNull(loaded.intent());
        assertNull(loaded.audience());
        assertEquals(1, loaded.turns());
        store.delete(id).join();
    }

    @Test
    void shouldRenewTtlOnTouch()
    {
        final String id = freshId();
        store.save(new Session(id, "carol", TestServer.intent("salary"), null, 1, 5L)).join();
        raw.sync().expire("s:" + id, 10);
        assertTrue(store.touch(id).join());
        assertTrue(store.ttl(id).join() > 590);
        assertTrue(store.delete(id).join());
        assertFalse(store.touch(id).join());
        assertNull(store.load(id).join());
        assertTrue(store.isReady());
    }
}
