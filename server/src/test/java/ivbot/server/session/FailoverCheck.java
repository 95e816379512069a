package ivbot.server.session;

import ivbot.server.ChatService;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The guarantees of a failover under load, checked on the outcomes of a {@link ChatLoad} and on what Redis
 * holds afterwards, and the numbers to report:
 * <ul>
 *   <li>every reply is 200, or 503 {@code busy} "系统繁忙,请稍候" with Retry-After, and failures only around the switch;</li>
 *   <li>cold sessions (acknowledged more than 1 s before the kill, idle since) are intact: intent, audience, turn;</li>
 *   <li>hot sessions: no acknowledged turn from more than 1 s before the kill is lost; each acknowledged turn
 *       follows the previous one (turn + 1, or + 1 + n after n busy answers whose write may have landed late),
 *       so writes made during the switch landed, in order; what Redis holds at the end is the last
 *       acknowledged turn.</li>
 *   <li>some turns waited through the switch (acknowledged more than 500 ms after the kill) and landed.</li>
 * </ul>
 * With {@code IVBOT_FAILOVER_TIMELINE} set in the environment, the turns around the switch are printed.
 */
final class FailoverCheck
{
    /**
     * Sessions under load: each does a turn every {@link #TURN_INTERVAL_MS}, about 200 turns/s in all, which
     * leaves a 2-core machine (server, load, five or six Redis processes) room to drain the held turns.
     */
    static final int HOT_SESSIONS = 80;
    static final long TURN_INTERVAL_MS = 400;

    private static final long SAFE_NS = TimeUnit.SECONDS.toNanos(1);
    /** A turn that waited this long after the kill before it was acknowledged had its write held. */
    private static final long HELD_NS = TimeUnit.MILLISECONDS.toNanos(500);

    private FailoverCheck()
    {
    }

    /**
     * The measured numbers of one failover.
     */
    record Report(String name, int requests, int failed, double beforeP99Ms, int switchRequests, double switchP99Ms,
        double switchMaxMs, double recoverMs, double firstLandedMs, int landedDuringSwitch, int contextLost,
        int lostRecentAcks)
    {
        @Override
        public String toString()
        {
            return String.format("%s failover: requests=%d failed=%d (503 busy) p99_last_second_before_kill=%.1f ms " +
                    "in_flight_during_switch=%d p99_during_switch=%.0f ms max_during_switch=%.0f ms " +
                    "time_to_recover(readyz 200)=%.0f ms " +
                    "first_held_write_landed=%.0f ms held_then_landed=%d context_lost_replies=%d " +
                    "lost_recent_acks(<1s before kill)=%d",
                name, requests, failed, beforeP99Ms, switchRequests, switchP99Ms, switchMaxMs, recoverMs, firstLandedMs,
                landedDuringSwitch, contextLost, lostRecentAcks);
        }
    }

    /**
     * @param cold      the cold sessions and their last reply.
     * @param stored    reads a session's hash from Redis after the switch.
     * @return the numbers, once every assertion passed.
     */
    static Report verify(final String name, final ChatLoad load, final Map<String, ChatLoad.Turn> cold,
        final long killNs, final long recoveredNs, final Function<String, Map<String, String>> stored)
    {
        final List<ChatLoad.Turn> all = load.turns();
        int failed = 0;
        for (final ChatLoad.Turn turn : all)
        {
            if (turn.status() == 200)
            {
                continue;
            }
            failed++;
            assertEquals(503, turn.status(), () -> "only 503 may fail a turn: " + turn);
            assertEquals("busy", turn.code(), turn::toString);
            assertEquals(ChatService.BUSY_MESSAGE, turn.message(), turn::toString);
            assertNotNull(turn.retryAfter(), () -> "503 without Retry-After: " + turn);
            assertTrue(turn.startNs() >= killNs - SAFE_NS && turn.startNs() <= recoveredNs + SAFE_NS,
                () -> "a turn failed outside the switch: " + turn + " kill=" + killNs + " recovered=" + recoveredNs);
        }

        for (final Map.Entry<String, ChatLoad.Turn> entry : cold.entrySet())
        {
            final Map<String, String> hash = stored.apply(entry.getKey());
            final ChatLoad.Turn last = entry.getValue();
            assertEquals(Integer.toString(last.turn()), hash.get("turn"), () -> "cold session lost turns: " + entry + " " + hash);
            assertEquals(last.intent(), hash.get("intent"), () -> "cold session intent: " + entry + " " + hash);
            assertEquals(last.audience(), hash.get("audience"), () -> "cold session audience: " + entry + " " + hash);
        }

        int contextLost = 0;
        int lostRecent = 0;
        int landed = 0;
        long firstLandedNs = Long.MAX_VALUE;
        final Map<String, List<ChatLoad.Turn>> bySession = load.bySession();
        for (final Map.Entry<String, List<ChatLoad.Turn>> entry : bySession.entrySet())
        {
            if (cold.containsKey(entry.getKey()))
            {
                continue;
            }
            final List<ChatLoad.Turn> turns = entry.getValue();
            int safeTurn = 0;
            for (final ChatLoad.Turn turn : turns)
            {
                if (turn.acked() && turn.endNs() <= killNs - SAFE_NS)
                {
                    safeTurn = Math.max(safeTurn, turn.turn());
                }
            }
            int base = -1;
            int busySince = 0;
            boolean firstAfterKill = true;
            ChatLoad.Turn lastAcked = null;
            final List<String> trail = new ArrayList<>();
            for (final ChatLoad.Turn turn : turns)
            {
                trail.add(turn.status() + "/" + turn.turn() + (turn.contextLost() ? "!" : ""));
                if (turn.status() == 503)
                {
                    busySince++;
                    continue;
                }
                if (turn.contextLost())
                {
                    contextLost++;
                    continue;
                }
                if (turn.startNs() >= killNs && firstAfterKill)
                {
                    firstAfterKill = false;
                    final int t = turn.turn();
                    final int s = safeTurn;
                    assertTrue(t > s, () -> "session " + entry.getKey() + " lost a turn acknowledged more than 1 s " +
                        "before the kill: safe=" + s + " now=" + t + " trail=" + trail);
                    if (base >= 0 && t < base + 1)
                    {
                        lostRecent += base + 1 - t;
                        base = t - 1;
                    }
                }
                if (base >= 0)
                {
                    final int lo = base + 1;
                    final int hi = base + 1 + busySince;
                    final int t = turn.turn();
                    if (t < lo || t > hi)
                    {
                        fail("session " + entry.getKey() + " out of order: expected turn " + lo + ".." + hi + " got " + t +
                            " trail=" + trail);
                    }
                }
                if (turn.startNs() < recoveredNs && turn.endNs() - Math.max(turn.startNs(), killNs) > HELD_NS)
                {
                    landed++;
                    firstLandedNs = Math.min(firstLandedNs, turn.endNs());
                }
                base = turn.turn();
                busySince = 0;
                lastAcked = turn;
            }
            assertNotNull(lastAcked, "no acknowledged turn in session " + entry.getKey());
            final Map<String, String> hash = stored.apply(entry.getKey());
            final int storedTurn = Integer.parseInt(hash.getOrDefault("turn", "0"));
            final ChatLoad.Turn last = lastAcked;
            final int busy = busySince;
            assertTrue(storedTurn >= last.turn() && storedTurn <= last.turn() + busy,
                () -> "session " + entry.getKey() + " stored turn " + storedTurn + " but last acknowledged " + last.turn() +
                    " (+" + busy + " busy) trail=" + trail);
            if (storedTurn == last.turn())
            {
                assertEquals(last.intent(), hash.get("intent"), () -> "stored intent of " + entry.getKey() + " " + hash);
                assertEquals(last.audience(), hash.get("audience"), () -> "stored audience of " + entry.getKey() + " " + hash);
            }
        }

        assertTrue(landed > 0, "no turn had its write held through the switch");
        final Histogram during = load.latencies(t -> t.endNs() > killNs && t.startNs() < recoveredNs);
        final Histogram before = load.latencies(t -> t.startNs() > killNs - SAFE_NS && t.endNs() < killNs);
        return new Report(name, all.size(), failed, before.getValueAtPercentile(99) / 1000.0, (int)during.getTotalCount(),
            during.getValueAtPercentile(99) / 1000.0, during.getMaxValue() / 1000.0,
            (recoveredNs - killNs) / 1e6, firstLandedNs == Long.MAX_VALUE ? -1 : (firstLandedNs - killNs) / 1e6,
            landed, contextLost, lostRecent);
    }

    /**
     * The common scenario of the Sentinel and Cluster tests: cold sessions, load, kill, wait for recovery,
     * more load, checks.
     */
    /** The longest a switch to the new master may take, from the kill to /readyz 200 again. */
    static final long MAX_SWITCH_MS = 15_000;

    static Report run(final String name, final ChatLoad load, final SessionStore store, final Runnable kill,
        final Function<String, Map<String, String>> stored)
    {
        final Map<String, ChatLoad.Turn> cold = new LinkedHashMap<>();
        for (int i = 0; i < 16; i++)
        {
            ChatLoad.Turn last = load.turn(null, "校招生年假几天?");
            final String id = last.sessionId();
            last = load.turn(id, "那病假呢");
            last = load.turn(id, "实习生呢");
            assertEquals(200, last.status(), last::toString);
            assertEquals(3, last.turn(), last::toString);
            cold.put(id, last);
        }
        final long coldAckedNs = System.nanoTime();

        final List<String> hot = new ArrayList<>();
        for (int s = 0; s < HOT_SESSIONS; s++)
        {
            hot.add(SessionIds.newId());
        }
        load.start(hot, TURN_INTERVAL_MS);
        RedisProcesses.await(() -> load.completed() >= 3 * HOT_SESSIONS &&
            System.nanoTime() - coldAckedNs > TimeUnit.MILLISECONDS.toNanos(1500), Duration.ofSeconds(30), "warm-up load");

        final long killNs = System.nanoTime();
        kill.run();
        if (System.getenv("IVBOT_FAILOVER_TIMELINE") != null)
        {
            System.out.println("timeline kill at " + java.time.LocalTime.now());
        }
        RedisProcesses.await(() -> load.get("/readyz") == 503, Duration.ofSeconds(5), "/readyz to report degraded");
        RedisProcesses.await(() -> load.get("/readyz") == 200, Duration.ofSeconds(40), "/readyz 200 after failover");
        final long recoveredNs = System.nanoTime();
        assertEquals("up", store.state());
        // measured here 3 to 6 s (Sentinel and Cluster, node timeout 2 s); the bound leaves room for a loaded machine
        final long switchMs = (recoveredNs - killNs) / 1_000_000;
        assertTrue(switchMs < MAX_SWITCH_MS, name + ": the switch took " + switchMs + " ms (expected: < " + MAX_SWITCH_MS + ")");

        RedisProcesses.await(() -> hot.stream().allMatch(id ->
            load.bySession().getOrDefault(id, List.of()).stream().filter(t -> t.acked() && t.startNs() > recoveredNs).count() >= 2),
            Duration.ofSeconds(20), "two turns on every session after recovery");
        load.stop();
        if (System.getenv("IVBOT_FAILOVER_TIMELINE") != null)
        {
            load.turns().stream().filter(t -> t.endNs() > killNs && t.startNs() < recoveredNs + TimeUnit.SECONDS.toNanos(2))
                .sorted(Comparator.comparingLong(ChatLoad.Turn::startNs))
                .forEach(t -> System.out.printf("timeline start=%6d end=%6d status=%d turn=%d lost=%s%n",
                    (t.startNs() - killNs) / 1_000_000, (t.endNs() - killNs) / 1_000_000, t.status(), t.turn(), t.contextLost()));
        }
        return verify(name, load, cold, killNs, recoveredNs, stored);
    }
}
