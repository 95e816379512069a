package ivbot.inference.train;

import ivbot.inference.Intent;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.rules.RuleClassifier;
import ivbot.inference.rules.RuleMatch;

import java.util.List;

/**
 * Calibrates how the model and the rule engine share the work, on the dev set. The hybrid answers a
 * query with:
 * <ol>
 *   <li>the rules, when they name a topic with confidence at least {@code rulesThreshold};</li>
 *   <li>else the model, when its confidence is at least {@code threshold};</li>
 *   <li>else the rules when they name a topic, else a clarifying question (counted as the catalog's
 *       fallback intent).</li>
 * </ol>
 * Both thresholds are searched on a grid of 0.05 steps ({@code rulesThreshold} above 1 means "never
 * first"); the pair with the best hybrid accuracy wins, preferring the model on ties (higher
 * {@code rulesThreshold}, then lower {@code threshold}).
 *
 * @param threshold      the model confidence under which its answer is not trusted.
 * @param rulesThreshold the rule confidence from which the rules answer before the model.
 * @param hybridAccuracy the hybrid's dev accuracy.
 * @param rulesAccuracy  the rules' dev accuracy alone.
 */
public record ThresholdCalibration(float threshold, float rulesThreshold, double hybridAccuracy, double rulesAccuracy)
{
    /** A rules threshold that is never reached. */
    public static final float NEVER = 2f;

    /**
     * @param dev        the dev rows.
     * @param predicted  the model's intent per row.
     * @param confidence the model's confidence per row.
     * @param rules      the rule engine.
     * @return the calibration.
     */
    public static ThresholdCalibration calibrate(
        final List<LabelledQuery> dev, final Intent[] predicted, final float[] confidence, final RuleClassifier rules)
    {
        final int n = dev.size();
        final Intent fallback = rules.catalog().fallback();
        final Intent[] ruleIntents = new Intent[n];
        final float[] ruleConfidence = new float[n];
        int rulesRight = 0;
        for (int i = 0; i < n; i++)
        {
            final RuleMatch match = rules.classify(dev.get(i).text());
            ruleIntents[i] = match.intent();
            ruleConfidence[i] = match.confidence();
            rulesRight += dev.get(i).intent().equals(match.intent() == null ? fallback : match.intent()) ? 1 : 0;
        }
        float bestModel = 0f;
        float bestRules = NEVER;
        int bestRight = -1;
        for (int r = 21; r >= 0; r--)
        {
            final float rulesFirst = r == 21 ? NEVER : r * 0.05f;
            for (int m = 0; m <= 19; m++)
            {
                final float modelMin = m * 0.05f;
                int right = 0;
                for (int i = 0; i < n; i++)
                {
                    final Intent answer = decide(ruleIntents[i], ruleConfidence[i], predicted[i], confidence[i], modelMin,
                        rulesFirst, fallback);
                    right += dev.get(i).intent().equals(answer) ? 1 : 0;
                }
                if (right > bestRight)
                {
                    bestRight = right;
                    bestModel = Math.round(modelMin * 100) / 100f;
                    bestRules = rulesFirst == NEVER ? NEVER : Math.round(rulesFirst * 100) / 100f;
                }
            }
        }
        final double size = Math.max(1, n);
        return new ThresholdCalibration(bestModel, bestRules, bestRight / size, rulesRight / size);
    }

    /**
     * The hybrid's single-turn decision, as calibrated here and as the server serves it (the server's
     * {@code IntentClassifier} asks {@link #rulesAnswerFirst} before it asks the model and
     * {@link #modelTrusted} after). Pure; any thread.
     *
     * @param ruleIntent      the rules' intent, or {@code null}.
     * @param ruleConfidence  the rules' confidence.
     * @param modelIntent     the model's intent.
     * @param modelConfidence the model's confidence.
     * @param threshold       the model threshold.
     * @param rulesThreshold  the rules-first threshold.
     * @param fallback        the catalog's fallback intent, which stands for a clarifying question.
     * @return the answer's intent ({@code fallback} for a clarifying question).
     */
    public static Intent decide(final Intent ruleIntent, final float ruleConfidence, final Intent modelIntent,
        final float modelConfidence, final float threshold, final float rulesThreshold, final Intent fallback)
    {
        if (rulesAnswerFirst(ruleIntent, ruleConfidence, rulesThreshold))
        {
            return ruleIntent;
        }
        if (modelTrusted(modelConfidence, threshold))
        {
            return modelIntent;
        }
        return ruleIntent == null ? fallback : ruleIntent;
    }

    /**
     * Step 1 of {@link #decide}: the rules answer before the model is asked. Pure; any thread.
     *
     * @param ruleIntent     the rules' intent, or {@code null} when they name no topic.
     * @param ruleConfidence the rules' confidence, 0..1.
     * @param rulesThreshold the package's {@code rules_threshold} (above 1: never).
     * @return whether the rules name a topic with at least {@code rulesThreshold}.
     */
    public static boolean rulesAnswerFirst(final Intent ruleIntent, final float ruleConfidence, final float rulesThreshold)
    {
        return ruleIntent != null && ruleConfidence >= rulesThreshold;
    }

    /**
     * Step 2 of {@link #decide}: the model's answer stands; otherwise the rules answer when they name a topic,
     * else a clarifying question. Pure; any thread.
     *
     * @param modelConfidence the model's softmax confidence, 0..1.
     * @param threshold       the package's {@code threshold}.
     * @return whether {@code modelConfidence} reaches {@code threshold}.
     */
    public static boolean modelTrusted(final float modelConfidence, final float threshold)
    {
        return modelConfidence >= threshold;
    }
}
