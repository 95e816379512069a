package ivbot.server.session;
import ivbot.server.TestServer;

import io.lettuce.core.RedisURI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
class SessionStoresTest
{
    @Test
    void shouldAcceptTheFourSchemes()
    {
        assertTrue(SessionStores.isRedisUri("redis://127.0.0.1:6379"));
        assertTrue(SessionStores.isRedisUri("rediss://cache.example:6380"));
        assertTrue(SessionStores.isRedisUri("redis-sentinel://127.0.0.1:26379,127.0.0.1:26380#ivbot"));
        assertTrue(SessionStores.isRedisUri("redis-cluster://127.0.0.1:7000,127.0.0.1:7001"));
        assertFalse(SessionStores.isRedisUri("memcached://127.0.0.1:11211"));
        assertFalse(SessionStores.isRedisUri(null));
    }

    @Test
    void shouldSplitAClusterUriIntoSeeds()
    {
        final List<RedisURI> seeds = SessionStores.clusterSeeds("redis-cluster://:s3cret@10.0.0.1:7000, 10.0.0.2:7001");
        assertEquals(2, seeds.size());
        assertEquals("10.0.0.1", seeds.get(0).getHost());
        assertEquals(7000, seeds.get(0).getPort());
        assertEquals("10.0.0.2", seeds.get(1).getHost());
        assertEquals(7001, seeds.get(1).getPort());
        assertEquals("s3cret", new String(seeds.get(1).getCredentialsProvider().resolveCredentials().block().getPassword()));
        assertTrue(SessionStores.clusterSeeds("rediss-cluster://h:1").get(0).isSsl());
    }

    @Test
    void shouldNameTheSettingThatIsOutOfRange()
    {
        final IllegalArgumentException noPort = assertThrows(IllegalArgumentException.class,
            () -> SessionStores.clusterSeeds("redis-cluster://10.0.0.1"));
        assertTrue(noPort.getMessage().startsWith("uri=redis-cluster://10.0.0.1 (expected: "), noPort.getMessage());
        final RedisStoreConfig config = RedisStoreConfig.of("redis://127.0.0.1:1", TestServer.catalog()::fromId);
        config.writeWindowMs = 0;
        assertEquals("writeWindowMs=0 (expected: > 0)",
            assertThrows(IllegalArgumentException.class, config::conclude).getMessage());
        assertThrows(IllegalArgumentException.class, () -> RedisStoreConfig.of("http://x:1", TestServer.catalog()::fromId).conclude());
    }
}
