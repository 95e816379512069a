package ivbot.inference.model;

import ivbot.inference.Intent;

/**
 * A model's answer for one query.
 *
 * @param intent       the most probable intent.
 * @param confidence   its softmax probability, in {@code [0, 1]}.
 * @param modelVersion the version of the model package that answered.
 */
public record Prediction(Intent intent, float confidence, String modelVersion)
{
}
