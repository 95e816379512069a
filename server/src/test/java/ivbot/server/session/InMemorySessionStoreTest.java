package ivbot.server.session;

import ivbot.server.TestServer;
import ivbot.inference.Audience;
import ivbot.inference.Intent;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InMemorySessionStoreTest
{
    private final AtomicLong nanos = new AtomicLong();

    private void advanceSeconds(final long seconds)
    {
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
    }

    private static Session session(final String id)
    {
        return new Session(id, "alice", TestServer.intent("probation"), Audience.CAMPUS, 3, 42L);
    }

    @Test
    void shouldRoundTripSession()
    {
        final InMemorySessionStore store = new InMemorySessionStore(100, 600, nanos::get);
        store.save(session("abcdefgh")).join();
        assertEquals(session("abcdefgh"), store.load("abcdefgh").join());
        assertNull(store.load("zzzzzzzz").join());
    }

    @Test
    void shouldExpireAfterTtlAndRenewOnTouchAndSave()
    {
        final InMemorySessionStore store = new InMemorySessionStore(100, 600, nanos::get);
        store.save(session("abcdefgh")).join();
        advanceSeconds(599);
        assertTrue(store.touch("abcdefgh").join());
        advanceSeconds(599);
        assertNotNull(store.load("abcdefgh").join(), "a touch renews the TTL");
        store.save(session("abcdefgh")).join();
        advanceSeconds(599);
        assertNotNull(store.load("abcdefgh").join(), "a save renews the TTL");
        advanceSeconds(2);
        assertNull(store.load("abcdefgh").join());
        assertFalse(store.touch("abcdefgh").join());
    }

    @Test
    void shouldStayWithinItsBound()
    {
        final InMemorySessionStore store = new InMemorySessionStore(50, 600, nanos::get);
        for (int i = 0; i < 1000; i++)
        {
            store.save(session("session-" + i)).join();
        }
        assertTrue(store.size() <= 50, "size " + store.size());
    }

    @Test
    void shouldDeleteOnce()
    {
        final InMemorySessionStore store = new InMemorySessionStore(100, 600, nanos::get);
        store.save(session("abcdefgh")).join();
        assertTrue(store.delete("abcdefgh").join());
        assertFalse(store.delete("abcdefgh").join());
    }

    @Test
    void shouldCheckSessionIds()
    {
        assertTrue(SessionIds.isWellFormed(SessionIds.newId()));
        assertEquals(22, SessionIds.newId().length());
        assertFalse(SessionIds.isWellFormed("short"));
        assertFalse(SessionIds.isWellFormed("has space in it"));
        assertFalse(SessionIds.isWellFormed("x".repeat(65)));
        assertFalse(SessionIds.isWellFormed("../../etc/passwd"));
        assertFalse(SessionIds.isWellFormed(null));
        assertEquals("s:abcdefgh", SessionIds.key("abcdefgh"));
    }
}
