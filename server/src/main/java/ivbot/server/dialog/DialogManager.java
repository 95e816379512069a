package ivbot.server.dialog;

import ivbot.inference.Audience;
import ivbot.inference.Intent;
import ivbot.server.session.Session;

/**
 * Resolves a turn against its session by the multi-turn rules of {@code intents.json}:
 * <ol>
 *   <li>a turn that names a topic gets that topic's intent;</li>
 *   <li>a turn that names only an audience keeps the previous intent and switches the audience;</li>
 *   <li>a turn with neither keeps the previous intent and audience;</li>
 *   <li>the audience, once known (said in a turn, or given by the caller), holds until another is said.</li>
 * </ol>
 * Only policy intents become the session's topic: a greeting or a thanks in between does not make
 * "那实习生呢" lose the question it follows up. Stateless and thread-safe.
 */
public final class DialogManager
{
    private static final float CARRIED_CONFIDENCE = 0.6f;

    /**
     * @param session         the session before this turn, or {@code null} for a new one.
     * @param turnIntent      the topic the turn itself names, or {@code null} when it names none.
     * @param turnConfidence  the classifier's confidence in {@code turnIntent}.
     * @param turnAudience    the audience the turn itself names, or {@code null}.
     * @param callerAudience  the audience the caller gave with the request, or {@code null}.
     * @param trackAudience   the audience of the caller's token ({@code track} claim), or {@code null}.
     * @return the resolution.
     */
    public TurnResolution resolve(
        final Session session,
        final Intent turnIntent,
        final float turnConfidence,
        final Audience turnAudience,
        final Audience callerAudience,
        final Audience trackAudience)
    {
        final Intent previousTopic = session == null ? null : session.intent();
        final Audience audience = firstNonNull(
            turnAudience, callerAudience, session == null ? null : session.audience(), trackAudience);

        if (turnIntent != null)
        {
            final Intent topic = turnIntent.isPolicy() ? turnIntent : previousTopic;
            return new TurnResolution(turnIntent, audience, topic, TurnResolution.Rule.NEW_TOPIC, turnConfidence);
        }
        if (previousTopic != null)
        {
            final TurnResolution.Rule rule = turnAudience != null ?
                TurnResolution.Rule.AUDIENCE_SWITCH : TurnResolution.Rule.CONTINUATION;
            return new TurnResolution(previousTopic, audience, previousTopic, rule, CARRIED_CONFIDENCE);
        }
        return new TurnResolution(null, audience, null, TurnResolution.Rule.UNRESOLVED, 0f);
    }

    private static Audience firstNonNull(final Audience a, final Audience b, final Audience c, final Audience d)
    {
        return a != null ? a : b != null ? b : c != null ? c : d;
    }
}
