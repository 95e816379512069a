package ivbot.inference.model;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import ivbot.inference.onnx.OnnxSubset.AttributeProto;
import ivbot.inference.onnx.OnnxSubset.GraphProto;
import ivbot.inference.onnx.OnnxSubset.ModelProto;
import ivbot.inference.onnx.OnnxSubset.NodeProto;
import ivbot.inference.onnx.OnnxSubset.TensorProto;
import ivbot.inference.onnx.OnnxSubset.TensorShapeProto;
import ivbot.inference.onnx.OnnxSubset.TypeProto;
import ivbot.inference.onnx.OnnxSubset.ValueInfoProto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Appends nodes to an encoder's ONNX graph so that the session returns the small tensor the server needs
 * instead of the whole {@code last_hidden_state} ({@code [batch, seq, hidden]}):
 * <pre>
 *   last_hidden_state [B,S,H] --Gather(index 0, axis 1)--&gt; cls [B,H]
 *                             --LpNormalization(p 2)----&gt; cls_norm [B,H]          (output "embedding")
 *                             --Gemm(W [L,H], b [L], transB)--&gt; logits [B,L]      (output "logits")
 * </pre>
 * The graph's previous outputs are dropped, so ONNX Runtime prunes nothing it still needs and copies
 * out only {@code [B,H]} or {@code [B,L]} floats. Stateless; works on serialised models.
 */
public final class OnnxGraphs
{
    /** Output name of the pooled, L2-normalised CLS vector. */
    public static final String EMBEDDING = "embedding";
    /** Output name of the classification head's logits. */
    public static final String LOGITS = "logits";

    private static final String PREFIX = "ivbot_";

    private OnnxGraphs()
    {
    }

    /**
     * @param model        the encoder, serialised.
     * @param hiddenOutput the name of the encoder's {@code [B,S,H]} output, e.g. {@code last_hidden_state}.
     * @return the model with one output {@link #EMBEDDING} of shape {@code [B,H]}.
     * @throws InvalidProtocolBufferException when {@code model} is not an ONNX model.
     */
    public static byte[] withEmbeddingOutput(final byte[] model, final String hiddenOutput)
        throws InvalidProtocolBufferException
    {
        final ModelProto parsed = ModelProto.parseFrom(model);
        final GraphProto.Builder graph = pooled(parsed, hiddenOutput, EMBEDDING);
        graph.addOutput(floatOutput(EMBEDDING, -1));
        return parsed.toBuilder().setGraph(graph).build().toByteArray();
    }

    /**
     * @param model        the encoder, serialised.
     * @param hiddenOutput the name of the encoder's {@code [B,S,H]} output.
     * @param weights      the head's weights, row-major {@code [labels][hidden]}.
     * @param bias         the head's bias, {@code [labels]}.
     * @return the model with one output {@link #LOGITS} of shape {@code [B,labels]}.
     * @throws InvalidProtocolBufferException when {@code model} is not an ONNX model.
     */
    public static byte[] withLinearHead(
        final byte[] model, final String hiddenOutput, final float[] weights, final float[] bias)
        throws InvalidProtocolBufferException
    {
        final int labels = bias.length;
        if (labels == 0 || weights.length % labels != 0)
        {
            throw new IllegalArgumentException(
                "weights.length=" + weights.length + " (expected: a multiple of bias.length=" + labels + ")");
        }
        final int hidden = weights.length / labels;
        final ModelProto parsed = ModelProto.parseFrom(model);
        final GraphProto.Builder graph = pooled(parsed, hiddenOutput, PREFIX + "embedding");
        graph.addInitializer(floatTensor(PREFIX + "head_w", weights, labels, hidden));
        graph.addInitializer(floatTensor(PREFIX + "head_b", bias, labels));
        graph.addNode(NodeProto.newBuilder()
            .setName(PREFIX + "head").setOpType("Gemm")
            .addInput(PREFIX + "embedding").addInput(PREFIX + "head_w").addInput(PREFIX + "head_b")
            .addOutput(LOGITS)
            .addAttribute(intAttribute("transB", 1)));
        graph.addOutput(floatOutput(LOGITS, labels));
        return parsed.toBuilder().setGraph(graph).build().toByteArray();
    }

    /**
     * Drops the graph's outputs and appends CLS pooling and L2 normalisation of the hidden-state output,
     * producing {@code pooledName}.
     */
    private static GraphProto.Builder pooled(final ModelProto model, final String hiddenOutput, final String pooledName)
    {
        final GraphProto.Builder graph = model.getGraph().toBuilder();
        boolean found = false;
        for (final ValueInfoProto output : graph.getOutputList())
        {
            found |= output.getName().equals(hiddenOutput);
        }
        if (!found)
        {
            throw new IllegalArgumentException("the model has no output '" + hiddenOutput + "' to pool");
        }
        graph.clearOutput();
        graph.addInitializer(TensorProto.newBuilder()
            .setName(PREFIX + "cls_index").setDataType(TensorProto.DataType.INT64_VALUE).addInt64Data(0));
        graph.addNode(NodeProto.newBuilder()
            .setName(PREFIX + "cls").setOpType("Gather")
            .addInput(hiddenOutput).addInput(PREFIX + "cls_index")
            .addOutput(PREFIX + "cls")
            .addAttribute(intAttribute("axis", 1)));
        graph.addNode(NodeProto.newBuilder()
            .setName(PREFIX + "l2").setOpType("LpNormalization")
            .addInput(PREFIX + "cls")
            .addOutput(pooledName)
            .addAttribute(intAttribute("axis", 1))
            .addAttribute(intAttribute("p", 2)));
        return graph;
    }

    private static AttributeProto intAttribute(final String name, final long value)
    {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    private static TensorProto floatTensor(final String name, final float[] values, final long... dims)
    {
        final ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        final TensorProto.Builder tensor = TensorProto.newBuilder()
            .setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE).setRawData(ByteString.copyFrom(bytes.array()));
        for (final long dim : dims)
        {
            tensor.addDims(dim);
        }
        return tensor.build();
    }

    private static ValueInfoProto floatOutput(final String name, final long width)
    {
        final TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        shape.addDim(width > 0 ?
            TensorShapeProto.Dimension.newBuilder().setDimValue(width) :
            TensorShapeProto.Dimension.newBuilder().setDimParam("hidden"));
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
            .setTensorType(TypeProto.Tensor.newBuilder()
                .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }
}
