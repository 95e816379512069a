package ivbot.server.dialog;

import ivbot.inference.Audience;
import ivbot.inference.Intent;

/**
 * How one turn was understood in its conversation.
 *
 * @param intent     the turn's intent, or {@code null} when neither the turn nor the session names a
 *                   topic (the reply then asks what the user wants to know).
 * @param audience   the audience in effect after the turn, or {@code null} while unknown.
 * @param topic      the policy topic to keep in the session for later follow-ups.
 * @param rule       which multi-turn rule applied.
 * @param confidence the confidence of the intent, in {@code [0, 1]}.
 */
public record TurnResolution(Intent intent, Audience audience, Intent topic, Rule rule, float confidence)
{
    /**
     * The multi-turn rules of the label contract.
     */
    public enum Rule
    {
        /** The turn names a topic: that topic's intent. */
        NEW_TOPIC,
        /** The turn names only an audience: previous intent, new audience. */
        AUDIENCE_SWITCH,
        /** The turn names neither: previous intent and audience. */
        CONTINUATION,
        /** Nothing to go on: neither the turn nor the session has a topic. */
        UNRESOLVED
    }
}
