package ivbot.inference.train;

import ivbot.inference.model.Models;
import ivbot.inference.Intent;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.rules.RuleClassifier;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SoftmaxRegressionTest
{
    private static final Intent FALLBACK = Models.catalog().fallback();

    private static float[][] clusters(final int[] labels, final long seed)
    {
        final Random random = new Random(seed);
        final float[][] x = new float[labels.length][8];
        for (int i = 0; i < labels.length; i++)
        {
            labels[i] = i % 3;
            for (int d = 0; d < 8; d++)
            {
                x[i][d] = (float)(random.nextGaussian() * 0.3 + (d == labels[i] ? 3 : 0));
            }
        }
        return x;
    }

    @Test
    void shouldSeparateSeparableClusters()
    {
        final int[] y = new int[300];
        final float[][] x = clusters(y, 1);
        final SoftmaxRegression model = new SoftmaxRegression(3, 8);
        final double loss = model.fit(x, y, 30, 16, 0.05, 1e-4, 42);
        assertTrue(loss < 0.1, "loss " + loss);
        final double[] p = new double[3];
        for (int i = 0; i < x.length; i++)
        {
            model.probabilities(x[i], p);
            int best = 0;
            for (int c = 1; c < 3; c++)
            {
                best = p[c] > p[best] ? c : best;
            }
            assertEquals(y[i], best);
        }
    }

    @Test
    void shouldBeReproducibleForASeed()
    {
        final int[] y = new int[90];
        final float[][] x = clusters(y, 2);
        final SoftmaxRegression a = new SoftmaxRegression(3, 8);
        final SoftmaxRegression b = new SoftmaxRegression(3, 8);
        a.fit(x, y, 5, 8, 0.05, 1e-4, 7);
        b.fit(x, y, 5, 8, 0.05, 1e-4, 7);
        assertArrayEquals(a.weights(), b.weights());
        assertArrayEquals(a.bias(), b.bias());
    }

    @Test
    void shouldPreferTheModelAboveTheThresholdAndTheRulesBelow()
    {
        final List<LabelledQuery> dev = List.of(
            new LabelledQuery("年假几天", Models.intent("leave_annual"), null),
            new LabelledQuery("随便聊聊", Models.intent("out_of_scope"), null),
            new LabelledQuery("那个假期怎么休", Models.intent("leave_marriage"), null));
        // the model is right on the last two with high confidence, wrong on the first with low confidence
        final ThresholdCalibration c = ThresholdCalibration.calibrate(dev,
            new Intent[] {Models.intent("salary"), Models.intent("out_of_scope"), Models.intent("leave_marriage")},
            new float[] {0.3f, 0.9f, 0.95f}, RuleClassifier.loadDefault(Models.catalog()));
        assertEquals(1.0, c.hybridAccuracy(), 1e-9);
        assertTrue(c.threshold() > 0.3f && c.threshold() <= 0.9f, "threshold " + c.threshold());
        assertEquals(Models.intent("leave_annual"), ThresholdCalibration.decide(Models.intent("leave_annual"), 0.9f, Models.intent("salary"), 0.3f, 0.5f, 2f, FALLBACK));
        assertEquals(Models.intent("salary"), ThresholdCalibration.decide(Models.intent("leave_annual"), 0.9f, Models.intent("salary"), 0.8f, 0.5f, 2f, FALLBACK));
        assertEquals(Models.intent("leave_annual"), ThresholdCalibration.decide(Models.intent("leave_annual"), 0.9f, Models.intent("salary"), 0.8f, 0.5f, 0.85f, FALLBACK));
        assertEquals(Models.intent("out_of_scope"), ThresholdCalibration.decide(null, 0f, Models.intent("salary"), 0.2f, 0.5f, 2f, FALLBACK));
    }
}
