package ivbot.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * AdamW (decoupled weight decay, PyTorch's defaults: betas 0.9/0.999, eps 1e-8) over named parameters,
 * with its own learning rate for the head. Updates run in place through the engine's fused Adam update,
 * which also zeroes each gradient. The moment estimates live in the parameters' manager.
 * <p>
 * Not thread-safe: the training thread only.
 */
final class AdamW
{
    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPS = 1e-8f;

    private final List<NDArray> weights = new ArrayList<>();
    private final List<NDArray> means = new ArrayList<>();
    private final List<NDArray> variances = new ArrayList<>();
    private final List<Boolean> head = new ArrayList<>();
    private final float weightDecay;
    private int step;

    /**
     * @param parameters  the parameters by name; names starting with {@code head.} take the head's rate.
     * @param weightDecay the decoupled weight decay (applied to every parameter, as PyTorch's AdamW does).
     */
    AdamW(final Map<String, NDArray> parameters, final float weightDecay)
    {
        for (final Map.Entry<String, NDArray> entry : parameters.entrySet())
        {
            final NDArray weight = entry.getValue();
            weights.add(weight);
            means.add(weight.zerosLike());
            variances.add(weight.zerosLike());
            head.add(entry.getKey().startsWith("head."));
        }
        this.weightDecay = weightDecay;
    }

    /**
     * Applies one update from the gradients of the last backward pass, then zeroes them.
     *
     * @param encoderLr the encoder's learning rate for this step.
     * @param headLr    the head's learning rate for this step.
     */
    void step(final float encoderLr, final float headLr)
    {
        step++;
        final double correction1 = 1.0 - Math.pow(BETA1, step);
        final double correction2 = 1.0 - Math.pow(BETA2, step);
        for (int i = 0; i < weights.size(); i++)
        {
            final NDArray weight = weights.get(i);
            final float lr = head.get(i) ? headLr : encoderLr;
            try (NDArray grad = weight.getGradient())
            {
                weight.getNDArrayInternal().adamUpdate(
                    new NDList(weight, grad, means.get(i), variances.get(i)), new NDList(weight),
                    lr, (float)(lr * Math.sqrt(correction2) / correction1), weightDecay,
                    1f, -1f, BETA1, BETA2, EPS, false, true);
            }
        }
    }
}
