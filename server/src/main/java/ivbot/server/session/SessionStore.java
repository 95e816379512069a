package ivbot.server.session;

import java.util.concurrent.CompletableFuture;

/**
 * Where sessions live. Every write (save or touch) sets the time-to-live to {@link #ttlSeconds()}.
 * <p>
 * Methods are called on event loops and never block; futures may complete on another thread (Redis I/O
 * threads), so callers hop back to their event loop before touching channel state.
 * <p>
 * Failures a caller can tell apart: {@link SessionStoreUnavailableException} (the store is down or not yet
 * connected, nothing was attempted: answer without context) and {@link SessionStoreBusyException} (a
 * write did not land within its window or the local queue was full: answer "busy").
 */
public interface SessionStore extends AutoCloseable
{
    /**
     * The session time-to-live, renewed on every turn and heartbeat.
     */
    int DEFAULT_TTL_SECONDS = 600;

    /**
     * @param id a well-formed session id.
     * @return the session, or {@code null} when absent or expired, or the marker of
     *         {@link Session#evicted} when the store removed it to make room.
     */
    CompletableFuture<Session> load(String id);

    /**
     * Writes all of the session's fields and renews its TTL; creates the session when absent, counting it
     * against its user's cap on sessions.
     *
     * @param session the new state.
     * @return completes once the store has acknowledged the write; fails with
     *         {@link SessionConflictException} when the session belongs to another user.
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

    /**
     * @return the store's state for logs and metrics: {@code "up"} while ready; a remote store may also
     *         say {@code "connecting"}, {@code "switching"} (writes are held in its local queue),
     *         {@code "down"} or {@code "closed"}.
     */
    default String state()
    {
        return isReady() ? "up" : "down";
    }

    /**
     * @return the writes made but not yet acknowledged by the store, including those waiting in a local
     *         queue; always 0 for a store whose writes complete at once. A gauge, read from any thread.
     */
    default long pendingWrites()
    {
        return 0;
    }

    /**
     * @return the writes whose future failed since start: not acknowledged within their window, refused
     *         by a full queue, or refused while the store was down. A counter, read from any thread.
     */
    default long failedWrites()
    {
        return 0;
    }

    /**
     * @return the sessions removed so far to make room (a user's cap on sessions, or the store's bound)
     *         before their time-to-live ran out. A counter, read from any thread.
     */
    default long evictions()
    {
        return 0;
    }

    @Override
    void close();
}
