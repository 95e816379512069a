package ivbot.server.dialog;

import ivbot.inference.Audience;
import ivbot.inference.Intent;
import ivbot.server.intent.Classification;
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
     * @param session        the session before this turn, or {@code null} for a new one.
     * @param turn           what the classifiers make of the turn.
     * @param callerAudience the audience the caller gave with the request, or {@code null}.
     * @param trackAudience  the audience of the caller's token ({@code track} claim), or {@code null}.
     * @return the resolution.
     */
    public TurnResolution resolve(
        final Session session,
        final Classification turn,
        final Audience callerAudience,
        final Audience trackAudience)
    {
        final Intent previousTopic = session == null ? null : session.intent();
        final Audience audience = firstNonNull(
            turn.audience(), callerAudience, session == null ? null : session.audience(), trackAudience);

        if (turn.named() != null)
        {
            return newTopic(turn.named(), previousTopic, audience, turn.confidence());
        }
        if (previousTopic != null)
        {
            final TurnResolution.Rule rule = turn.audience() != null ?
                TurnResolution.Rule.AUDIENCE_SWITCH : TurnResolution.Rule.CONTINUATION;
            return new TurnResolution(previousTopic, audience, previousTopic, rule, CARRIED_CONFIDENCE);
        }
        if (turn.standalone() != null)
        {
            return newTopic(turn.standalone(), null, audience, turn.confidence());
        }
        return new TurnResolution(null, audience, null, TurnResolution.Rule.UNRESOLVED, 0f);
    }

    private static TurnResolution newTopic(
        final Intent intent, final Intent previousTopic, final Audience audience, final float confidence)
    {
        final Intent topic = intent.isPolicy() ? intent : previousTopic;
        return new TurnResolution(intent, audience, topic, TurnResolution.Rule.NEW_TOPIC, confidence);
    }

    private static Audience firstNonNull(final Audience a, final Audience b, final Audience c, final Audience d)
    {
        return a != null ? a : b != null ? b : c != null ? c : d;
    }
}
