package ivbot.inference.rules;

import ivbot.inference.Audience;
import ivbot.inference.Intent;

/**
 * What the rule engine read in one query.
 *
 * @param intent     the intent whose topic the query names, or {@code null} when it names none (a follow-up
 *                   such as {@code "那实习生呢"} or {@code "多少天"}; the dialog manager then keeps the previous
 *                   intent).
 * @param audience   the hiring track the query names, or {@code null} when it names none.
 * @param confidence in {@code [0, 1]}: how strongly and how unanimously the cues point at {@code intent};
 *                   0 when {@code intent} is {@code null}. Not a calibrated probability.
 */
public record RuleMatch(Intent intent, Audience audience, float confidence)
{
    /**
     * @throws IllegalArgumentException when {@code confidence} is outside {@code [0, 1]} or is not 0 for a
     *                                  {@code null} intent.
     */
    public RuleMatch
    {
        if (!(confidence >= 0f && confidence <= 1f))
        {
            throw new IllegalArgumentException("confidence=" + confidence + " (expected: in [0, 1])");
        }
        if (intent == null && confidence != 0f)
        {
            throw new IllegalArgumentException("confidence=" + confidence + " (expected: 0 when intent is null)");
        }
    }
}
