package ivbot.inference.train;

import java.util.Random;

/**
 * Multinomial logistic regression (a linear softmax head) trained with mini-batch Adam and L2
 * regularisation. Hand-written: about a hundred lines, no native code and no new dependency, and fully
 * reproducible, since the only randomness is the seeded shuffle of each epoch.
 * <p>
 * Weights are row-major {@code [classes][dim]}, as {@link ivbot.inference.model.OnnxGraphs#withLinearHead}
 * takes them. Not thread-safe.
 */
public final class SoftmaxRegression
{
    private final int classes;
    private final int dim;
    private final float[] weights;
    private final float[] bias;

    /**
     * @param classes the number of classes.
     * @param dim     the input width.
     */
    public SoftmaxRegression(final int classes, final int dim)
    {
        if (classes < 2)
        {
            throw new IllegalArgumentException("classes=" + classes + " (expected: >= 2)");
        }
        if (dim <= 0)
        {
            throw new IllegalArgumentException("dim=" + dim + " (expected: > 0)");
        }
        this.classes = classes;
        this.dim = dim;
        this.weights = new float[classes * dim];
        this.bias = new float[classes];
    }

    /**
     * @return the weights, {@code [classes][dim]} row-major (live array).
     */
    public float[] weights()
    {
        return weights;
    }

    /**
     * @return the bias (live array).
     */
    public float[] bias()
    {
        return bias;
    }

    /**
     * Trains from the current weights.
     *
     * @param x            inputs, {@code [n][dim]}.
     * @param y            class indexes, {@code [n]}.
     * @param epochs       passes over the data.
     * @param batchSize    examples per step.
     * @param learningRate Adam's step size.
     * @param l2           L2 penalty on the weights.
     * @param seed         seed of the per-epoch shuffle.
     * @return the mean cross-entropy of the last epoch.
     */
    public double fit(final float[][] x, final int[] y, final int epochs, final int batchSize, final double learningRate,
        final double l2, final long seed)
    {
        final int n = x.length;
        final int[] order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }
        final Random random = new Random(seed);
        final double[] gw = new double[weights.length];
        final double[] gb = new double[classes];
        final double[] mw = new double[weights.length];
        final double[] vw = new double[weights.length];
        final double[] mb = new double[classes];
        final double[] vb = new double[classes];
        final double[] p = new double[classes];
        final double beta1 = 0.9;
        final double beta2 = 0.999;
        long step = 0;
        double epochLoss = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            shuffle(order, random);
            epochLoss = 0;
            for (int start = 0; start < n; start += batchSize)
            {
                final int end = Math.min(n, start + batchSize);
                java.util.Arrays.fill(gw, 0);
                java.util.Arrays.fill(gb, 0);
                for (int k = start; k < end; k++)
                {
                    final float[] xi = x[order[k]];
                    final int yi = y[order[k]];
                    probabilities(xi, p);
                    epochLoss -= Math.log(Math.max(p[yi], 1e-12));
                    p[yi] -= 1.0;
                    for (int c = 0; c < classes; c++)
                    {
                        final double g = p[c];
                        gb[c] += g;
                        final int row = c * dim;
                        for (int d = 0; d < dim; d++)
                        {
                            gw[row + d] += g * xi[d];
                        }
                    }
                }
                final double scale = 1.0 / (end - start);
                step++;
                final double c1 = 1 - Math.pow(beta1, step);
                final double c2 = 1 - Math.pow(beta2, step);
                for (int i = 0; i < weights.length; i++)
                {
                    final double g = gw[i] * scale + l2 * weights[i];
                    mw[i] = beta1 * mw[i] + (1 - beta1) * g;
                    vw[i] = beta2 * vw[i] + (1 - beta2) * g * g;
                    weights[i] -= (float)(learningRate * (mw[i] / c1) / (Math.sqrt(vw[i] / c2) + 1e-8));
                }
                for (int c = 0; c < classes; c++)
                {
                    final double g = gb[c] * scale;
                    mb[c] = beta1 * mb[c] + (1 - beta1) * g;
                    vb[c] = beta2 * vb[c] + (1 - beta2) * g * g;
                    bias[c] -= (float)(learningRate * (mb[c] / c1) / (Math.sqrt(vb[c] / c2) + 1e-8));
                }
            }
        }
        return epochLoss / n;
    }

    /**
     * @param xi  one input.
     * @param out receives the class probabilities.
     */
    public void probabilities(final float[] xi, final double[] out)
    {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++)
        {
            double z = bias[c];
            final int row = c * dim;
            for (int d = 0; d < dim; d++)
            {
                z += weights[row + d] * xi[d];
            }
            out[c] = z;
            max = Math.max(max, z);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++)
        {
            out[c] = Math.exp(out[c] - max);
            sum += out[c];
        }
        for (int c = 0; c < classes; c++)
        {
            out[c] /= sum;
        }
    }

    private static void shuffle(final int[] order, final Random random)
    {
        for (int i = order.length - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
}
