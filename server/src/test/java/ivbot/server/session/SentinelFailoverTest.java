package ivbot.server.session;

import ivbot.server.ServerConfig;
import ivbot.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sentinel failover under load through the real HTTP server: one master, one replica, three sentinels
 * (quorum 2, down-after-milliseconds 3000 as in production), 120 sessions doing a turn every 300 ms each,
 * then kill -9 of the master. See {@link FailoverCheck} for what is asserted; the numbers are printed.
 */
class SentinelFailoverTest
{
    static final String MASTER = "ivbot";
    static final long DOWN_AFTER_MS = 3000;

    @Test
    @Timeout(120)
    void shouldKeepSessionsAndFollowTheNewMasterWhenTheMasterIsKilled()
    {
        try (RedisProcesses redis = new RedisProcesses())
        {
            final RedisProcesses.Node master = redis.server();
            final RedisProcesses.Node replica = redis.replica(master);
            final List<RedisProcesses.Node> sentinels = new ArrayList<>();
            for (int i = 0; i < 3; i++)
            {
                sentinels.add(redis.sentinel(MASTER, master, 2, DOWN_AFTER_MS));
            }
            RedisProcesses.awaitSentinels(sentinels, MASTER, 1);
            final String uri = "redis-sentinel://" + String.join(",", sentinels.stream().map(RedisProcesses.Node::address)
                .toList()) + "#" + MASTER;

            final SessionStore store = SessionStores.open(uri, 600, Duration.ofSeconds(1), TestServer.catalog()::fromId);
            try (TestServer server = TestServer.start(store, new ServerConfig());
                ChatLoad load = new ChatLoad(server.port(), TestServer.token("failover")))
            {
                assertTrue(store.isReady(), store::state);
                final FailoverCheck.Report report = FailoverCheck.run("sentinel", load, store, () -> master.kill(),
                    id -> Resp.hgetall(RedisProcesses.sentinelMasterPort(sentinels.get(0).port, MASTER), SessionIds.key(id)));
                System.out.println(report);

                final int newMaster = RedisProcesses.sentinelMasterPort(sentinels.get(0).port, MASTER);
                assertNotEquals(master.port, newMaster);
                assertEquals(replica.port, newMaster);
                assertEquals("master", Resp.info(replica.port, "replication").get("role"));
            }
        }
    }
}
