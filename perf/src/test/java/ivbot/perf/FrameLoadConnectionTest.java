package ivbot.perf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Protobuf mode against a frame server that answers at once: replies matched by request id, error
 * frames counted by kind, session ids carried over, tokens in every request.
 */
@Timeout(30)
class FrameLoadConnectionTest
{
    @Test
    void shouldMatchRepliesByIdAndCountErrorFramesByKind() throws Exception
    {
        try (FrameEchoServer server = new FrameEchoServer())
        {
            final BenchConfig config = new BenchConfig();
            config.url = server.url();
            config.protocol = BenchConfig.Protocol.PROTO;
            config.connections = 2;
            config.users = 10;
            config.turnsPerSession = 3;
            config.rate = 1;
            config.timeoutNs = TimeUnit.SECONDS.toNanos(5);
            config.conclude();
            try (LoadClient client = new LoadClient(config, List.of("年假几天", "婚假呢"), "tok")
                .open(TimeUnit.SECONDS.toNanos(5)))
            {
                // each user speaks every 100 ms: its replies come back before its next turn, even on a busy machine
                final BenchResult result = LoadRun.openLoop(client, 100, TimeUnit.MILLISECONDS.toNanos(300),
                    TimeUnit.MILLISECONDS.toNanos(1500));

                assertEquals(0, server.withoutToken.get());
                // a slow machine sends fewer; a working schedule never sends more than 100/s over 1.5 s
                assertTrue(result.issued() > 0 && result.issued() <= 151, () -> "issued " + result.issued());
                assertEquals(result.issued(), result.ok() + result.errors());
                // every 10th request is answered Error{503, busy}
                final long busy = result.errorsByKind().getOrDefault("503/busy", 0L);
                assertEquals(result.errors(), busy, () -> "errors " + result.errorsByKind());
                assertTrue(Math.abs(busy - result.issued() / 10) <= 1, () -> "busy " + busy + " of " + result.issued());
                assertTrue(result.cacheHitShare() > 0.15 && result.cacheHitShare() < 0.3, () -> "cache " + result.cacheHitShare());
                assertTrue(result.fallbackShare() > 0.05 && result.fallbackShare() < 0.2, () -> "fallback " + result.fallbackShare());
                assertTrue(server.knownSessions.get() > 0, "later turns carry the session id the server made");
                assertEquals(0, server.unknownSessions.get());
                // 3 turns a session: about a third of the turns start a new session
                assertTrue(server.newSessions.get() >= 45, () -> "new sessions " + server.newSessions.get());
            }
        }
    }
}
