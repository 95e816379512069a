package ivbot.trainer;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import ivbot.inference.onnx.OnnxSubset.GraphProto;
import ivbot.inference.onnx.OnnxSubset.ModelProto;
import ivbot.inference.onnx.OnnxSubset.NodeProto;
import ivbot.inference.onnx.OnnxSubset.TensorProto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float weights of a BERT encoder exported to ONNX (bge-small-zh-v1.5's fp32 graph), by Hugging Face
 * parameter name, and the way back into the graph.
 * <p>
 * The exporter names the embeddings, biases and LayerNorm parameters after the PyTorch module
 * ({@code encoder.layer.0.attention.self.query.bias}) but leaves the 24 MatMul weights anonymous
 * ({@code onnx::MatMul_541}); those are named here by the order of the MatMul nodes that read them:
 * six a layer, in the order query, key, value, attention output, intermediate, output. They are stored
 * {@code [in, out]} (PyTorch's {@code Linear.weight} transposed), and kept that way: {@code y = x W + b}.
 * Each node's name, when the exporter wrote one ({@code /encoder/layer.0/attention/self/query/MatMul}),
 * is checked against the name given.
 * <p>
 * Immutable after {@link #read}; {@link #write} returns a new serialised model.
 */
public final class BertWeights
{
    /** The per-layer MatMul weights in node order, by their Hugging Face module path. */
    static final String[] LAYER_MATMULS = {
        "attention.self.query", "attention.self.key", "attention.self.value",
        "attention.output.dense", "intermediate.dense", "output.dense"};

    /**
     * One float tensor.
     *
     * @param shape  its dimensions.
     * @param values its values, row-major.
     */
    public record Tensor(long[] shape, float[] values)
    {
    }

    private final ModelProto model;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> initializerNames;
    private final int layers;

    private BertWeights(final ModelProto model, final Map<String, Tensor> tensors,
        final Map<String, String> initializerNames, final int layers)
    {
        this.model = model;
        this.tensors = tensors;
        this.initializerNames = initializerNames;
        this.layers = layers;
    }

    /**
     * @param onnx a serialised fp32 BERT encoder.
     * @return its weights.
     * @throws InvalidProtocolBufferException when {@code onnx} is not an ONNX model.
     * @throws IllegalArgumentException when the graph is not the expected BERT.
     */
    public static BertWeights read(final byte[] onnx) throws InvalidProtocolBufferException
    {
        final ModelProto model = ModelProto.parseFrom(onnx);
        final GraphProto graph = model.getGraph();
        final Map<String, TensorProto> byName = new HashMap<>();
        for (final TensorProto tensor : graph.getInitializerList())
        {
            byName.put(tensor.getName(), tensor);
        }
        final Map<String, Tensor> tensors = new LinkedHashMap<>();
        final Map<String, String> names = new HashMap<>();
        for (final TensorProto tensor : graph.getInitializerList())
        {
            if (tensor.getDataType() == TensorProto.DataType.FLOAT_VALUE && !tensor.getName().startsWith("onnx::"))
            {
                tensors.put(tensor.getName(), toTensor(tensor));
                names.put(tensor.getName(), tensor.getName());
            }
        }
        int matmuls = 0;
        for (final NodeProto node : graph.getNodeList())
        {
            if (!"MatMul".equals(node.getOpType()) || node.getInputCount() != 2 || !byName.containsKey(node.getInput(1)))
            {
                continue;
            }
            final int layer = matmuls / LAYER_MATMULS.length;
            final String module = LAYER_MATMULS[matmuls % LAYER_MATMULS.length];
            final String expected = "/encoder/layer." + layer + "/" + module.replace('.', '/') + "/";
            if (!node.getName().isEmpty() && !node.getName().startsWith(expected))
            {
                throw new IllegalArgumentException("MatMul " + matmuls + " is node '" + node.getName()
                    + "' (expected: " + expected + "MatMul, weights in the exporter's node order)");
            }
            final String name = "encoder.layer." + layer + "." + module + ".weight";
            tensors.put(name, toTensor(byName.get(node.getInput(1))));
            names.put(name, node.getInput(1));
            matmuls++;
        }
        if (matmuls == 0 || matmuls % LAYER_MATMULS.length != 0)
        {
            throw new IllegalArgumentException(matmuls + " MatMul weights (expected: a positive multiple of 6)");
        }
        final int layers = matmuls / LAYER_MATMULS.length;
        for (int layer = 0; layer < layers; layer++)
        {
            if (!tensors.containsKey("encoder.layer." + layer + ".output.LayerNorm.bias"))
            {
                throw new IllegalArgumentException("no initializer encoder.layer." + layer + ".output.LayerNorm.bias");
            }
        }
        return new BertWeights(model, Collections.unmodifiableMap(tensors), names, layers);
    }

    /** @return the number of transformer layers. */
    public int layers()
    {
        return layers;
    }

    /** @return the hidden width. */
    public int hidden()
    {
        return (int)tensor("embeddings.LayerNorm.weight").shape()[0];
    }

    /** @return every weight by Hugging Face name, in graph order; not a copy: do not modify. */
    public Map<String, Tensor> tensors()
    {
        return tensors;
    }

    /**
     * @param name a Hugging Face parameter name.
     * @return its tensor.
     * @throws IllegalArgumentException when the graph has no such weight.
     */
    public Tensor tensor(final String name)
    {
        final Tensor tensor = tensors.get(name);
        if (tensor == null)
        {
            throw new IllegalArgumentException("no weight '" + name + "' in the encoder");
        }
        return tensor;
    }

    /**
     * @param values new values by Hugging Face name; each of the same length as the weight it replaces.
     * @return the encoder with those initializers replaced (raw little-endian data), all else as it was.
     */
    public byte[] write(final Map<String, float[]> values)
    {
        final Map<String, float[]> byInitializer = new HashMap<>();
        for (final Map.Entry<String, float[]> entry : values.entrySet())
        {
            final Tensor old = tensor(entry.getKey());
            if (old.values().length != entry.getValue().length)
            {
                throw new IllegalArgumentException(entry.getKey() + ": " + entry.getValue().length
                    + " values (expected: " + old.values().length + " for " + Arrays.toString(old.shape()) + ")");
            }
            byInitializer.put(initializerNames.get(entry.getKey()), entry.getValue());
        }
        final GraphProto.Builder graph = model.getGraph().toBuilder();
        final List<TensorProto> initializers = new ArrayList<>(graph.getInitializerList());
        for (int i = 0; i < initializers.size(); i++)
        {
            final float[] replacement = byInitializer.get(initializers.get(i).getName());
            if (replacement != null)
            {
                initializers.set(i, initializers.get(i).toBuilder()
                    .clearFloatData().setRawData(ByteString.copyFrom(littleEndian(replacement))).build());
            }
        }
        graph.clearInitializer().addAllInitializer(initializers);
        return model.toBuilder().setGraph(graph).build().toByteArray();
    }

    static byte[] littleEndian(final float[] values)
    {
        final ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return bytes.array();
    }

    static float[] floats(final TensorProto tensor)
    {
        if (tensor.getFloatDataCount() > 0)
        {
            final float[] values = new float[tensor.getFloatDataCount()];
            for (int i = 0; i < values.length; i++)
            {
                values[i] = tensor.getFloatData(i);
            }
            return values;
        }
        final ByteBuffer raw = tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        final float[] values = new float[raw.remaining() / Float.BYTES];
        raw.asFloatBuffer().get(values);
        return values;
    }

    private static Tensor toTensor(final TensorProto tensor)
    {
        final long[] shape = new long[tensor.getDimsCount()];
        for (int i = 0; i < shape.length; i++)
        {
            shape[i] = tensor.getDims(i);
        }
        final float[] values = floats(tensor);
        long expected = 1;
        for (final long dim : shape)
        {
            expected *= dim;
        }
        if (values.length != expected)
        {
            throw new IllegalArgumentException("initializer " + tensor.getName() + ": " + values.length
                + " values (expected: " + expected + " for " + Arrays.toString(shape) + ")");
        }
        return new Tensor(shape, values);
    }
}
