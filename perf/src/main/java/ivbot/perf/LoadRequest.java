package ivbot.perf;

/**
 * One chat request of a run, from the moment it is due until its reply (or failure) is recorded.
 * <p>
 * Created and then only touched on the event loop of the {@link LoadConnection} that sends it; the
 * {@link BenchStats} it points to is the run it belongs to, so a late reply is never counted in a later
 * run. Times are {@link System#nanoTime()} values.
 */
final class LoadRequest
{
    /** The run this request is counted in. */
    final BenchStats stats;
    /** Unique per connection; the protobuf {@code request_id}. */
    final long id;
    /** The logical user, an index local to the connection. */
    final int user;
    /** The user's session generation when the request was made (see {@link UserSessions}). */
    final int generation;
    /** The session id sent, empty for a new session. */
    final String sessionId;
    /** The query text sent. */
    final String query;
    /** When the schedule said the request should go out: latency is measured from here. */
    final long intendedNs;
    /** Whether completing it sends the next request of its closed-loop slot. */
    final boolean closedLoop;
    /** When it was written to the socket; 0 until then. */
    long sentNs;

    LoadRequest(
        final BenchStats stats,
        final long id,
        final int user,
        final int generation,
        final String sessionId,
        final String query,
        final long intendedNs,
        final boolean closedLoop)
    {
        this.stats = stats;
        this.id = id;
        this.user = user;
        this.generation = generation;
        this.sessionId = sessionId;
        this.query = query;
        this.intendedNs = intendedNs;
        this.closedLoop = closedLoop;
    }
}
