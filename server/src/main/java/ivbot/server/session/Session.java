package ivbot.server.session;

import ivbot.inference.Audience;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;

/**
 * The state of one conversation, stored at key {@code s:{id}}. Stores keep the topic as its intent id; the
 * chat service looks it up in the catalog in service ({@link #withIntentIn}), where an id that no longer
 * exists reads as no topic.
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
     * @param catalog the catalog in service.
     * @return this session with its topic replaced by the intent of the same id in {@code catalog}, or by
     * {@code null} when {@code catalog} has no such intent; this session itself when nothing changes.
     */
    public Session withIntentIn(final IntentCatalog catalog)
    {
        if (intent == null)
        {
            return this;
        }
        final Intent same = catalog.fromId(intent.id());
        return same == intent ? this : new Session(id, user, same, audience, turns, updatedAtMs);
    }

    /**
     * @return true for the marker of {@link #evicted}: a real session has answered at least one turn.
     */
    public boolean isEvicted()
    {
        return turns == 0;
    }
}
