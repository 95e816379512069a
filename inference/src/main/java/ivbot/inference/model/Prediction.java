package ivbot.inference.model;

import ivbot.inference.Intent;

/**
 * A model's answer for one query.
 *
 * @param intent       the most probable intent.
 * @param confidence   its softmax probability, in {@code [0, 1]}.
 * @param margin       its probability minus the runner-up's, in {@code [0, 1]}: small when the model hesitates
 *                     between two intents.
 * @param modelVersion the version of the model package that answered.
 */
public record Prediction(Intent intent, float confidence, float margin, String modelVersion)
{
    /**
     * A prediction whose runner-up is not known (margin 0).
     *
     * @param intent       the most probable intent.
     * @param confidence   its softmax probability.
     * @param modelVersion the version that answered.
     */
    public Prediction(final Intent intent, final float confidence, final String modelVersion)
    {
        this(intent, confidence, 0f, modelVersion);
    }
}
