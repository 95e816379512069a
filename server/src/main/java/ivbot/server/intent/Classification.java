package ivbot.server.intent;

import ivbot.inference.Audience;
import ivbot.inference.Intent;
import ivbot.inference.batch.FallbackReason;

/**
 * What the classifiers make of one turn, before the dialog manager weighs it against the session.
 *
 * @param named        the topic the turn itself names, or {@code null} when it names none (the dialog
 *                     then keeps the conversation's topic).
 * @param standalone   the best intent when there is no topic to keep, or {@code null} when unknown (the
 *                     reply then asks a clarifying question).
 * @param confidence   the confidence of the intent, in {@code [0, 1]}.
 * @param audience     the audience the turn names, or {@code null}.
 * @param source       {@code model}, {@code cache} or {@code rules}.
 * @param fallback     why the model did not answer, or {@code null}.
 * @param modelVersion the model version that answered, or {@code null} for rules.
 * @param margin       the model's winner minus runner-up probability; 0 when the rules answered.
 * @param canary       whether the turn belonged to the canary cohort while a candidate served (its model answer,
 *                     if any, is the candidate's).
 */
public record Classification(
    Intent named,
    Intent standalone,
    float confidence,
    Audience audience,
    String source,
    FallbackReason fallback,
    String modelVersion,
    float margin,
    boolean canary)
{
    /**
     * A classification of the stable cohort.
     */
    public Classification(final Intent named, final Intent standalone, final float confidence, final Audience audience,
        final String source, final FallbackReason fallback, final String modelVersion, final float margin)
    {
        this(named, standalone, confidence, audience, source, fallback, modelVersion, margin, false);
    }

    /**
     * A classification without a model margin (the rules', or a model answer whose runner-up is unknown).
     */
    public Classification(final Intent named, final Intent standalone, final float confidence, final Audience audience,
        final String source, final FallbackReason fallback, final String modelVersion)
    {
        this(named, standalone, confidence, audience, source, fallback, modelVersion, 0f);
    }
}
