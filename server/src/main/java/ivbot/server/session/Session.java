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
}
