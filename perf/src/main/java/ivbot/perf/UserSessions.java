package ivbot.perf;

import java.util.Arrays;

/**
 * The conversations of the logical users of one connection: each user keeps the {@code session_id} its
 * replies carry and starts a new session (sends none) every {@code turnsPerSession} turns.
 * <p>
 * A user's next turn may go out before the reply to its previous one arrives (an open loop does not
 * wait); it then carries the session id known so far. Each new session bumps the user's generation, and a
 * reply only updates the session id when it belongs to the current generation, so a late reply from an
 * old conversation cannot pull the user back into it.
 * <p>
 * Confined to the connection's event loop; not thread-safe.
 */
final class UserSessions
{
    private final String[] sessionIds;
    private final int[] turns;
    private final int[] generations;
    private final int turnsPerSession;

    /**
     * @param users           the number of users, at least 0.
     * @param turnsPerSession turns before a new session; 0 keeps each user's first session for good.
     */
    UserSessions(final int users, final int turnsPerSession)
    {
        if (users < 0)
        {
            throw new IllegalArgumentException("users=" + users + " (expected: >= 0)");
        }
        if (turnsPerSession < 0)
        {
            throw new IllegalArgumentException("turnsPerSession=" + turnsPerSession + " (expected: >= 0)");
        }
        this.sessionIds = new String[users];
        this.turns = new int[users];
        this.generations = new int[users];
        this.turnsPerSession = turnsPerSession;
        Arrays.fill(sessionIds, "");
    }

    /**
     * Starts the user's next turn, opening a new session first when the current one has had its turns.
     *
     * @param user the user index.
     * @return the session id to send; empty for a new session.
     */
    String nextTurn(final int user)
    {
        if (turnsPerSession > 0 && turns[user] >= turnsPerSession)
        {
            turns[user] = 0;
            sessionIds[user] = "";
            generations[user]++;
        }
        turns[user]++;
        return sessionIds[user];
    }

    /**
     * @param user the user index.
     * @return the user's current session generation.
     */
    int generation(final int user)
    {
        return generations[user];
    }

    /**
     * Takes the session id of a reply.
     *
     * @param user       the user index.
     * @param generation the generation the request was made in.
     * @param sessionId  the reply's session id; empty ones are ignored.
     */
    void onReply(final int user, final int generation, final String sessionId)
    {
        if (generation == generations[user] && sessionId != null && !sessionId.isEmpty())
        {
            sessionIds[user] = sessionId;
        }
    }

    /**
     * @return the number of users.
     */
    int size()
    {
        return sessionIds.length;
    }
}
