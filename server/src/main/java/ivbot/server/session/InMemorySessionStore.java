package ivbot.server.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The embedded default: sessions in a bounded Caffeine cache whose entries expire {@code ttlSeconds}
 * after their last write. When full, the least recently used sessions are evicted first. Each user holds
 * at most {@code maxSessionsPerUser} sessions: making one more evicts that user's oldest, never another
 * user's. An evicted session leaves a marker for the rest of its time-to-live, so its next turn is
 * answered with {@code context_lost} instead of silently starting over ({@link Session#evicted}).
 * <p>
 * A save is atomic per session: it creates the session, or updates it when the caller owns it, or fails
 * with {@link SessionConflictException} when another user does (two users racing on one new client-chosen
 * id: exactly one wins). Every method completes its future before returning. Thread-safe.
 */
public final class InMemorySessionStore implements SessionStore
{
    private static final CompletableFuture<Boolean> TRUE = CompletableFuture.completedFuture(Boolean.TRUE);
    private static final CompletableFuture<Boolean> FALSE = CompletableFuture.completedFuture(Boolean.FALSE);
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final Cache<String, Session> sessions;
    private final Cache<String, String> evicted;
    private final Cache<String, ArrayDeque<String>> byUser;
    private final int ttlSeconds;
    private final int maxSessionsPerUser;
    private final LongAdder evictions = new LongAdder();

    /**
     * @param maxSessions the most sessions kept.
     * @param ttlSeconds  the time-to-live renewed by each write.
     * @param ticker      the time source (nanoseconds), {@link Ticker#systemTicker()} outside tests.
     */
    public InMemorySessionStore(final long maxSessions, final int ttlSeconds, final Ticker ticker)
    {
        this(maxSessions, ttlSeconds, Integer.MAX_VALUE, ticker);
    }

    /**
     * @param maxSessions        the most sessions kept.
     * @param ttlSeconds         the time-to-live renewed by each write.
     * @param maxSessionsPerUser the most sessions one user holds; a new one evicts that user's oldest.
     * @param ticker             the time source (nanoseconds), {@link Ticker#systemTicker()} outside tests.
     */
    public InMemorySessionStore(final long maxSessions, final int ttlSeconds, final int maxSessionsPerUser,
        final Ticker ticker)
    {
        if (maxSessionsPerUser <= 0)
        {
            throw new IllegalArgumentException("maxSessionsPerUser=" + maxSessionsPerUser + " (expected: > 0)");
        }
        if (maxSessions <= 0)
        {
            throw new IllegalArgumentException("maxSessions=" + maxSessions + " (expected: > 0)");
        }
        if (ttlSeconds <= 0)
        {
            throw new IllegalArgumentException("ttlSeconds=" + ttlSeconds + " (expected: > 0)");
        }
        this.ttlSeconds = ttlSeconds;
        this.maxSessionsPerUser = maxSessionsPerUser;
        final long ttlNs = TimeUnit.SECONDS.toNanos(ttlSeconds);
        // markers are small; a quarter of the sessions' bound keeps the last evictions' owners
        this.evicted = Caffeine.newBuilder()
            .executor(Runnable::run)
            .maximumSize(Math.max(1, maxSessions / 4))
            .expireAfterWrite(ttlSeconds, TimeUnit.SECONDS)
            .ticker(ticker)
            .build();
        this.byUser = Caffeine.newBuilder()
            .executor(Runnable::run)
            .maximumSize(maxSessions)
            .expireAfterAccess(ttlSeconds, TimeUnit.SECONDS)
            .ticker(ticker)
            .build();
        this.sessions = Caffeine.newBuilder()
            .executor(Runnable::run)
            .maximumSize(maxSessions)
            .ticker(ticker)
            .evictionListener((String id, Session session, RemovalCause cause) ->
            {
                if (cause == RemovalCause.SIZE && session != null)
                {
                    markEvicted(session);
                }
            })
            .expireAfter(new Expiry<String, Session>()
            {
                @Override
                public long expireAfterCreate(final String key, final Session value, final long currentTime)
                {
                    return ttlNs;
                }

                @Override
                public long expireAfterUpdate(
                    final String key, final Session value, final long currentTime, final long currentDuration)
                {
                    return ttlNs;
                }

                @Override
                public long expireAfterRead(
                    final String key, final Session value, final long currentTime, final long currentDuration)
                {
                    return currentDuration;
                }
            })
            .build();
    }

    @Override
    public CompletableFuture<Session> load(final String id)
    {
        final Session session = sessions.getIfPresent(id);
        if (session != null)
        {
            return CompletableFuture.completedFuture(session);
        }
        final String owner = evicted.getIfPresent(id);
        return CompletableFuture.completedFuture(owner == null ? null : Session.evicted(id, owner));
    }

    @Override
    public CompletableFuture<Void> save(final Session session)
    {
        final boolean[] created = new boolean[1];
        final Session stored = sessions.asMap().compute(session.id(), (id, current) ->
        {
            if (current == null)
            {
                final String owner = evicted.getIfPresent(id);
                if (owner != null && !owner.equals(session.user()))
                {
                    return null;
                }
                created[0] = true;
                return session;
            }
            if (!current.user().equals(session.user()))
            {
                return current;
            }
            // a late write never moves a session back; its time-to-live is still renewed
            return current.turns() > session.turns() ?
                new Session(id, current.user(), current.intent(), current.audience(), current.turns(), current.updatedAtMs()) :
                session;
        });
        if (stored == null || !stored.user().equals(session.user()))
        {
            return CompletableFuture.failedFuture(new SessionConflictException(session.id()));
        }
        if (created[0])
        {
            // looked up first: an invalidation of an absent key still allocates in the cache
            if (evicted.getIfPresent(session.id()) != null)
            {
                evicted.invalidate(session.id());
            }
            index(session);
        }
        return DONE;
    }

    private void index(final Session session)
    {
        if (maxSessionsPerUser == Integer.MAX_VALUE)
        {
            return;
        }
        final ArrayDeque<String> ids = byUser.get(session.user(), user -> new ArrayDeque<>());
        // a save adds one id: almost always one is over, so the first goes in a local, any others in a list
        String firstOver = null;
        List<String> moreOver = null;
        synchronized (ids)
        {
            ids.remove(session.id());
            ids.addLast(session.id());
            while (ids.size() > maxSessionsPerUser)
            {
                if (firstOver == null)
                {
                    firstOver = ids.pollFirst();
                }
                else
                {
                    if (moreOver == null)
                    {
                        moreOver = new ArrayList<>();
                    }
                    moreOver.add(ids.pollFirst());
                }
            }
        }
        if (firstOver != null)
        {
            evict(firstOver);
        }
        if (moreOver != null)
        {
            for (final String id : moreOver)
            {
                evict(id);
            }
        }
    }

    private void evict(final String id)
    {
        final Session old = sessions.asMap().remove(id);
        if (old != null)
        {
            markEvicted(old);
        }
    }

    private void markEvicted(final Session session)
    {
        evictions.increment();
        evicted.put(session.id(), session.user());
    }

    /**
     * @return sessions evicted so far to make room (a user's cap, or the store's bound).
     */
    public long evictions()
    {
        return evictions.sum();
    }

    @Override
    public CompletableFuture<Boolean> touch(final String id)
    {
        final Session[] found = new Session[1];
        // a new instance, so the cache sees an update and restarts the entry's time-to-live
        sessions.asMap().computeIfPresent(id, (k, v) -> found[0] =
            new Session(v.id(), v.user(), v.intent(), v.audience(), v.turns(), v.updatedAtMs()));
        return found[0] != null ? TRUE : FALSE;
    }

    @Override
    public CompletableFuture<Boolean> delete(final String id)
    {
        evicted.invalidate(id);
        return sessions.asMap().remove(id) != null ? TRUE : FALSE;
    }

    @Override
    public int ttlSeconds()
    {
        return ttlSeconds;
    }

    @Override
    public boolean isReady()
    {
        return true;
    }

    @Override
    public String describe()
    {
        return "memory";
    }

    /**
     * @return the number of sessions held, after expiring those that are due.
     */
    public long size()
    {
        sessions.cleanUp();
        return sessions.estimatedSize();
    }

    @Override
    public void close()
    {
        sessions.invalidateAll();
        evicted.invalidateAll();
        byUser.invalidateAll();
    }
}
