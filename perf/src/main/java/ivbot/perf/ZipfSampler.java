package ivbot.perf;

import java.util.SplittableRandom;

/**
 * Draws indexes {@code 0..n-1} with Zipf's law: index {@code k} (rank {@code k+1}) has weight
 * {@code 1 / (k+1)^s}. An exponent of 0 draws uniformly. The cumulative distribution is computed once,
 * then each draw is one uniform random number and a binary search, O(log n) and allocation free.
 * <p>
 * Immutable and thread-safe; the caller passes its own {@link SplittableRandom}, which is not.
 */
final class ZipfSampler
{
    private final double[] cumulative;
    private final int n;

    /**
     * @param n        the number of items, at least 1.
     * @param exponent the Zipf exponent {@code s}, at least 0 (0 = uniform).
     */
    ZipfSampler(final int n, final double exponent)
    {
        if (n <= 0)
        {
            throw new IllegalArgumentException("n=" + n + " (expected: > 0)");
        }
        if (!(exponent >= 0) || Double.isInfinite(exponent))
        {
            throw new IllegalArgumentException("--zipf=" + exponent + " (expected: >= 0)");
        }
        this.n = n;
        if (exponent == 0)
        {
            cumulative = null;
            return;
        }
        cumulative = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++)
        {
            sum += 1.0 / Math.pow(k + 1, exponent);
            cumulative[k] = sum;
        }
        for (int k = 0; k < n; k++)
        {
            cumulative[k] /= sum;
        }
        cumulative[n - 1] = 1.0;
    }

    /**
     * @param random the caller's generator.
     * @return an index in {@code [0, n)}.
     */
    int next(final SplittableRandom random)
    {
        final double[] cdf = cumulative;
        if (cdf == null)
        {
            return random.nextInt(n);
        }
        final double u = random.nextDouble();
        int lo = 0;
        int hi = cdf.length - 1;
        while (lo < hi)
        {
            final int mid = (lo + hi) >>> 1;
            if (cdf[mid] <= u)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * @return the number of items.
     */
    int size()
    {
        return n;
    }
}
