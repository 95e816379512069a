package ivbot.inference.batch;

import ivbot.inference.model.Prediction;

/**
 * The outcome of one model request: a prediction, or the reason there is none.
 *
 * @param prediction the model's answer, or {@code null}.
 * @param fallback   why there is no prediction, or {@code null}.
 */
public record InferenceResult(Prediction prediction, FallbackReason fallback)
{
    /**
     * @param reason why the model did not answer.
     * @return a result without prediction.
     */
    public static InferenceResult fallback(final FallbackReason reason)
    {
        return new InferenceResult(null, reason);
    }
}
