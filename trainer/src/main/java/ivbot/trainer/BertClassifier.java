package ivbot.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * bge-small-zh's BERT with ivbot's serving head, as DJL NDArrays with gradients: the same computation as
 * the ONNX graph that {@link ivbot.inference.model.OnnxGraphs#withLinearHead} serves, so that what is
 * trained is what is served:
 * <pre>
 *   input_ids [B,S] --word + position + token type (0) embeddings, LayerNorm--&gt; [B,S,H]
 *   layers x {self-attention (8 heads, additive mask), residual + LayerNorm,
 *             GELU (erf) feed-forward, residual + LayerNorm}
 *   last_hidden_state[:, 0, :] (CLS) --x / |x|_2 (LpNormalization)--&gt; [B,H]
 *                                    --x W^T + b (Gemm, transB)--&gt; logits [B,L]
 * </pre>
 * Dropout (BERT's 0.1) applies in training only, after the embeddings, on the attention probabilities and
 * after each sub-layer's output projection, as in Hugging Face's {@code BertModel}.
 * <p>
 * Parameters live in a manager owned by this object. Every array a forward pass makes is attached to
 * the manager of {@code inputIds} (operations always take an activation as the receiver), so the caller
 * frees a step's activations by closing the manager it made the inputs in. Not thread-safe.
 */
public final class BertClassifier implements AutoCloseable
{
    /** Attention heads of bge-small-zh-v1.5 (hidden 512 = 8 x 64). */
    public static final int HEADS = 8;
    /** BERT's LayerNorm epsilon. */
    public static final float LAYER_NORM_EPS = 1e-12f;
    /** The head's weights, stored {@code [hidden, labels]} (the transpose of the served Gemm's). */
    static final String HEAD_WEIGHT = "head.weight_t";
    /** The head's bias. */
    static final String HEAD_BIAS = "head.bias";

    private final NDManager manager;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    private final int layers;
    private final int hidden;
    private final int labels;

    /**
     * @param parent     the manager to make this model's own manager under.
     * @param weights    the encoder's weights.
     * @param headWeight the head's weights, row-major {@code [labels][hidden]} (as {@code head.bin}).
     * @param headBias   the head's bias, {@code [labels]}.
     */
    public BertClassifier(final NDManager parent, final BertWeights weights, final float[] headWeight, final float[] headBias)
    {
        this.layers = weights.layers();
        this.hidden = weights.hidden();
        this.labels = headBias.length;
        if (headWeight.length != labels * hidden)
        {
            throw new IllegalArgumentException("headWeight.length=" + headWeight.length
                + " (expected: labels*hidden=" + labels * hidden + ")");
        }
        if (hidden % HEADS != 0)
        {
            throw new IllegalArgumentException("hidden=" + hidden + " (expected: a multiple of " + HEADS + " heads)");
        }
        this.manager = parent.newSubManager();
        for (final Map.Entry<String, BertWeights.Tensor> entry : weights.tensors().entrySet())
        {
            add(entry.getKey(), entry.getValue().values(), new Shape(entry.getValue().shape()));
        }
        final float[] transposed = new float[headWeight.length];
        for (int l = 0; l < labels; l++)
        {
            for (int h = 0; h < hidden; h++)
            {
                transposed[h * labels + l] = headWeight[l * hidden + h];
            }
        }
        add(HEAD_WEIGHT, transposed, new Shape(hidden, labels));
        add(HEAD_BIAS, headBias, new Shape(labels));
    }

    private void add(final String name, final float[] values, final Shape shape)
    {
        final NDArray array = manager.create(values, shape);
        array.setRequiresGradient(true);
        parameters.put(name, array);
    }

    /** @return the trainable parameters by name (encoder weights by Hugging Face name, then the head). */
    public Map<String, NDArray> parameters()
    {
        return Collections.unmodifiableMap(parameters);
    }

    /** @return the number of labels. */
    public int labels()
    {
        return labels;
    }

    /**
     * @param inputIds      {@code [B,S]} int64 token ids; its manager receives every array made.
     * @param attentionMask {@code [B,S]} int64, 1 for a token, 0 for padding.
     * @param dropout       the dropout rate; 0 for inference.
     * @return logits {@code [B,labels]}.
     */
    public NDArray logits(final NDArray inputIds, final NDArray attentionMask, final float dropout)
    {
        return logits(inputIds, attentionMask, null, dropout);
    }

    /**
     * @param inputIds      {@code [B,S]} int64 token ids; its manager receives every array made.
     * @param attentionMask {@code [B,S]} int64, 1 for a token, 0 for padding.
     * @param tokenTypeIds  {@code [B,S]} int64 segments (0 for segment A, 1 for B), or {@code null} for all 0.
     * @param dropout       the dropout rate; 0 for inference.
     * @return logits {@code [B,labels]}.
     */
    public NDArray logits(final NDArray inputIds, final NDArray attentionMask, final NDArray tokenTypeIds, final float dropout)
    {
        final NDManager scope = inputIds.getManager();
        final long batch = inputIds.getShape().get(0);
        final long seq = inputIds.getShape().get(1);
        final NDArrayEx ex = inputIds.getNDArrayInternal();
        final NDArray positions = scope.arange(0, (int)seq, 1, DataType.INT64);
        final NDArray tokenType = tokenTypeIds != null ? tokenTypeIds : scope.zeros(new Shape(1), DataType.INT64);
        NDArray x = ex.embedding(inputIds, p("embeddings.word_embeddings.weight"), SparseFormat.DENSE).singletonOrThrow()
            .add(ex.embedding(positions, p("embeddings.position_embeddings.weight"), SparseFormat.DENSE).singletonOrThrow())
            .add(ex.embedding(tokenType, p("embeddings.token_type_embeddings.weight"), SparseFormat.DENSE).singletonOrThrow());
        x = dropout(layerNorm(x, "embeddings.LayerNorm"), dropout);
        // 0 where attended, -10000 where padded, broadcast over heads and query positions
        final NDArray maskBias = attentionMask.toType(DataType.FLOAT32, false).sub(1f).mul(10000f)
            .reshape(batch, 1, 1, seq);
        for (int layer = 0; layer < layers; layer++)
        {
            x = layer(x, "encoder.layer." + layer + ".", maskBias, batch, seq, dropout);
        }
        final NDArray cls = x.get(":, 0, :");
        final NDArray normalized = cls.div(cls.square().sum(new int[] {1}, true).sqrt());
        return normalized.matMul(p(HEAD_WEIGHT)).add(p(HEAD_BIAS));
    }

    private NDArray layer(final NDArray x, final String prefix, final NDArray maskBias, final long batch, final long seq,
        final float dropout)
    {
        final int headSize = hidden / HEADS;
        final NDArray q = heads(linear(x, prefix + "attention.self.query"), batch, seq, headSize);
        final NDArray k = heads(linear(x, prefix + "attention.self.key"), batch, seq, headSize);
        final NDArray v = heads(linear(x, prefix + "attention.self.value"), batch, seq, headSize);
        final NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div((float)Math.sqrt(headSize)).add(maskBias);
        final NDArray probs = dropout(scores.softmax(-1), dropout);
        final NDArray context = probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden);
        final NDArray attended = layerNorm(
            dropout(linear(context, prefix + "attention.output.dense"), dropout).add(x), prefix + "attention.output.LayerNorm");
        final NDArray intermediate = linear(attended, prefix + "intermediate.dense").getNDArrayInternal().gelu();
        return layerNorm(dropout(linear(intermediate, prefix + "output.dense"), dropout).add(attended),
            prefix + "output.LayerNorm");
    }

    private NDArray heads(final NDArray x, final long batch, final long seq, final int headSize)
    {
        return x.reshape(batch, seq, HEADS, headSize).transpose(0, 2, 1, 3);
    }

    private NDArray linear(final NDArray x, final String module)
    {
        return x.matMul(p(module + ".weight")).add(p(module + ".bias"));
    }

    private NDArray layerNorm(final NDArray x, final String module)
    {
        return x.getNDArrayInternal().layerNorm(x, new Shape(hidden), p(module + ".weight"), p(module + ".bias"),
            LAYER_NORM_EPS).singletonOrThrow();
    }

    private static NDArray dropout(final NDArray x, final float rate)
    {
        return rate > 0f ? x.getNDArrayInternal().dropout(x, rate, true).singletonOrThrow() : x;
    }

    private NDArray p(final String name)
    {
        final NDArray array = parameters.get(name);
        if (array == null)
        {
            throw new IllegalArgumentException("no parameter '" + name + "'");
        }
        return array;
    }

    /** @return the encoder's current weights by Hugging Face name, for {@link BertWeights#write}. */
    public Map<String, float[]> encoderValues()
    {
        final Map<String, float[]> values = new LinkedHashMap<>();
        for (final Map.Entry<String, NDArray> entry : parameters.entrySet())
        {
            if (!entry.getKey().startsWith("head."))
            {
                values.put(entry.getKey(), entry.getValue().toFloatArray());
            }
        }
        return values;
    }

    /** @return the head's weights, row-major {@code [labels][hidden]}. */
    public float[] headWeight()
    {
        final float[] transposed = p(HEAD_WEIGHT).toFloatArray();
        final float[] weights = new float[transposed.length];
        for (int h = 0; h < hidden; h++)
        {
            for (int l = 0; l < labels; l++)
            {
                weights[l * hidden + h] = transposed[h * labels + l];
            }
        }
        return weights;
    }

    /** @return the head's bias. */
    public float[] headBias()
    {
        return p(HEAD_BIAS).toFloatArray();
    }

    @Override
    public void close()
    {
        manager.close();
    }
}
