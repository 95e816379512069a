package ivbot.server.session;

import ivbot.inference.Audience;
import ivbot.inference.Intent;

/**
 * The state of one conversation, stored at key {@code s:{id}}.
 *
 * @param id          the session id.
 * @param user        the subject of the token that made it; only that user may read or change it.
 * @param intent      the policy topic the conversation is on, carried to follow-ups; {@code null} before
 *                    the first policy question.
 * @param audience    the audience in effect, or {@code null} while unknown.
 * @param turns       the number of turns answered so far.
 * @param updatedAtMs the time of the last turn in epoch milliseconds.
 */
public record Session(String id, String user, Intent intent, Audience audience, int turns, long updatedAtMs)
{
    /**
     * What a store answers for a session it removed to make room (its owner's cap on sessions, or the
     * in-process store's bound), while the session's time-to-live would still have run: the conversation
     * lost its context, and its next turn says so.
     *
     * @param id   the session id.
     * @param user the owner of the removed session.
     * @return a marker with no topic, no audience and no turns.
     */
    public static Session evicted(final String id, final String user)
    {
        return new Session(id, user, null, null, 0, 0);
    }

    /**
     * @return true for the marker of {@link #evicted}: a real session has answered at least one turn.
     */
    public boolean isEvicted()
    {
        return turns == 0;
    }
}
