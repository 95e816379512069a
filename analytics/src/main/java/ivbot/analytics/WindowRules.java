package ivbot.analytics;

/**
 * What the window shares count, in one place.
 * <ul>
 *   <li>fallback: the model did not give the answer, for whatever reason: {@code fallback_reason} is not empty
 *       ({@code deadline}, {@code queue_full}, {@code model_error}, {@code user_share}, and {@code no_model} when no
 *       model serves, so a rules-only server shows 1.0). {@code fallback_reason} is the server's own verdict, so
 *       the job does not second-guess it from {@code source} (a cache hit of a model answer is not a fallback).</li>
 *   <li>low confidence: {@code confidence < 0.6}, whatever answered (what the server flags as {@code unknown} is
 *       broader: the fallback intent, the clarifying question, a model that could not answer; mining reads that).</li>
 *   <li>clarifying: the answer asked the user to clarify ({@code clarifying}).</li>
 * </ul>
 */
final class WindowRules
{
    /** Below this confidence a turn counts as low-confidence. */
    static final float LOW_CONFIDENCE = 0.6f;

    private WindowRules()
    {
    }

    static boolean isFallback(final Turn t)
    {
        return !t.fallbackReason.isEmpty();
    }

    static boolean isLowConfidence(final Turn t)
    {
        return t.confidence < LOW_CONFIDENCE;
    }
}
