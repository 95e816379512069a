package ivbot.server.session;

import java.util.concurrent.CompletableFuture;

/**
 * Where sessions live. Every write (save or touch) sets the time-to-live to {@link #ttlSeconds()}.
 * <p>
 * Methods are called on event loops and never block; futures may complete on another thread (Redis I/O
 * threads), so callers hop back to their event loop before touching channel state.
 */
public interface SessionStore extends AutoCloseable
{
    /**
     * The session time-to-live, renewed on every turn and heartbeat.
     */
    int DEFAULT_TTL_SECONDS = 600;

    /**
     * @param id a well-formed session id.
     * @return the session, or {@code null} when absent or expired.
     */
    CompletableFuture<Session> load(String id);

    /**
     * Writes all of the session's fields and renews its TTL.
     *
     * @param session the new state.
     * @return completes once the store has acknowledged the write.
     */
    CompletableFuture<Void> save(Session session);

    /**
     * Renews a session's TTL.
     *
     * @param id the session id.
     * @return true when the session existed.
     */
    CompletableFuture<Boolean> touch(String id);

    /**
     * @param id the session id.
     * @return true when the session existed.
     */
    CompletableFuture<Boolean> delete(String id);

    /**
     * @return the TTL in seconds that writes set.
     */
    int ttlSeconds();

    /**
     * @return true while the store can serve requests.
     */
    boolean isReady();

    /**
     * @return a short description for logs and {@code /readyz}, e.g. {@code "memory"}.
     */
    String describe();

    @Override
    void close();
}
