package ivbot.server.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The embedded default: sessions in a bounded Caffeine cache whose entries expire {@code ttlSeconds}
 * after their last write. When full, the least recently used sessions are evicted first. Every method
 * completes its future before returning. Thread-safe.
 */
public final class InMemorySessionStore implements SessionStore
{
    private static final CompletableFuture<Boolean> TRUE = CompletableFuture.completedFuture(Boolean.TRUE);
    private static final CompletableFuture<Boolean> FALSE = CompletableFuture.completedFuture(Boolean.FALSE);
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final Cache<String, Session> sessions;
    private final int ttlSeconds;

    /**
     * @param maxSessions the most sessions kept.
     * @param ttlSeconds  the time-to-live renewed by each write.
     * @param ticker      the time source (nanoseconds), {@link Ticker#systemTicker()} outside tests.
     */
    public InMemorySessionStore(final long maxSessions, final int ttlSeconds, final Ticker ticker)
    {
        if (maxSessions <= 0)
        {
            throw new IllegalArgumentException("maxSessions=" + maxSessions + " (expected: > 0)");
        }
        if (ttlSeconds <= 0)
        {
            throw new IllegalArgumentException("ttlSeconds=" + ttlSeconds + " (expected: > 0)");
        }
        this.ttlSeconds = ttlSeconds;
        final long ttlNs = TimeUnit.SECONDS.toNanos(ttlSeconds);
        this.sessions = Caffeine.newBuilder()
            .maximumSize(maxSessions)
            .ticker(ticker)
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
        return CompletableFuture.completedFuture(sessions.getIfPresent(id));
    }

    @Override
    public CompletableFuture<Void> save(final Session session)
    {
        sessions.put(session.id(), session);
        return DONE;
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
    }
}
