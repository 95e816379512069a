package ivbot.trainer;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import ivbot.inference.onnx.OnnxSubset.AttributeProto;
import ivbot.inference.onnx.OnnxSubset.GraphProto;
import ivbot.inference.onnx.OnnxSubset.ModelProto;
import ivbot.inference.onnx.OnnxSubset.NodeProto;
import ivbot.inference.onnx.OnnxSubset.TensorProto;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic int8 quantisation of an fp32 BERT graph, in the form of the int8 bge-small-zh graph that ivbot
 * serves today (ONNX Runtime's dynamic quantiser with per-channel weights and {@code reduce_range}):
 * <pre>
 *   MatMul(x, W[K,N])           becomes   DynamicQuantizeLinear(x) -&gt; x_q (uint8), x_scale, x_zp
 *                                         MatMulInteger(x_q, W_q (int8 [K,N]), x_zp, W_zp (int8 [N], 0)) -&gt; int32
 *                                         Cast(to float) * (x_scale * W_scale[N])
 *   Gather(E[V,H], ids)         becomes   Gather(E_q (uint8 [V,H]), ids) -&gt; DequantizeLinear(E_scale, E_zp)
 * </pre>
 * Weights are quantised per output column, symmetrically into [-64, 64] (7 bits: without VNNI the u8 x s8
 * multiply-add of AVX2 saturates 16-bit sums at full range), embeddings per tensor, asymmetrically into
 * uint8. One DynamicQuantizeLinear serves all MatMuls that read the same activation (query, key, value).
 * Everything else (biases, LayerNorm, attention's activation-by-activation MatMuls, the head's Gemm) stays
 * fp32. Opset 10 or later. Stateless.
 */
public final class Int8Quantizer
{
    /** The largest magnitude of a quantised weight (ONNX Runtime's reduce_range for signed int8). */
    static final int WEIGHT_RANGE = 64;

    private Int8Quantizer()
    {
    }

    /**
     * @param fp32 a serialised fp32 model.
     * @return the model with its MatMul weights and Gather embeddings quantised.
     * @throws InvalidProtocolBufferException when {@code fp32} is not an ONNX model.
     */
    public static byte[] quantize(final byte[] fp32) throws InvalidProtocolBufferException
    {
        final ModelProto model = ModelProto.parseFrom(fp32);
        final GraphProto source = model.getGraph();
        final Map<String, TensorProto> floats = new HashMap<>();
        for (final TensorProto tensor : source.getInitializerList())
        {
            if (tensor.getDataType() == TensorProto.DataType.FLOAT_VALUE)
            {
                floats.put(tensor.getName(), tensor);
            }
        }
        final GraphProto.Builder graph = source.toBuilder().clearNode();
        final Set<String> replaced = new HashSet<>();
        final Map<String, String> quantizedActivations = new HashMap<>();
        for (final NodeProto node : source.getNodeList())
        {
            final TensorProto weight = node.getInputCount() == 2 ? floats.get(node.getInput(1)) : null;
            final TensorProto table = node.getInputCount() == 2 ? floats.get(node.getInput(0)) : null;
            if ("MatMul".equals(node.getOpType()) && weight != null && weight.getDimsCount() == 2)
            {
                matMulInteger(graph, node, weight, quantizedActivations);
                replaced.add(weight.getName());
            }
            else if ("Gather".equals(node.getOpType()) && table != null && table.getDimsCount() == 2)
            {
                dequantizedGather(graph, node, table);
                replaced.add(table.getName());
            }
            else
            {
                graph.addNode(node);
            }
        }
        final GraphProto.Builder pruned = graph.clone().clearInitializer();
        for (final TensorProto tensor : graph.getInitializerList())
        {
            if (!replaced.contains(tensor.getName()))
            {
                pruned.addInitializer(tensor);
            }
        }
        return model.toBuilder().setGraph(pruned).build().toByteArray();
    }

    private static void matMulInteger(final GraphProto.Builder graph, final NodeProto node, final TensorProto weight,
        final Map<String, String> quantizedActivations)
    {
        final String x = node.getInput(0);
        final String w = weight.getName();
        final String xq = x + "_quantized";
        if (quantizedActivations.putIfAbsent(x, xq) == null)
        {
            graph.addNode(NodeProto.newBuilder().setName(x + "_QuantizeLinear").setOpType("DynamicQuantizeLinear")
                .addInput(x).addOutput(xq).addOutput(x + "_scale").addOutput(x + "_zero_point"));
        }
        final int rows = (int)weight.getDims(0);
        final int cols = (int)weight.getDims(1);
        final float[] values = BertWeights.floats(weight);
        final float[] scales = new float[cols];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                scales[c] = Math.max(scales[c], Math.abs(values[r * cols + c]));
            }
        }
        for (int c = 0; c < cols; c++)
        {
            scales[c] = scales[c] > 0f ? scales[c] / WEIGHT_RANGE : 1f;
        }
        final byte[] quantized = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            final int q = Math.round(values[i] / scales[i % cols]);
            quantized[i] = (byte)Math.max(-WEIGHT_RANGE, Math.min(WEIGHT_RANGE, q));
        }
        graph.addInitializer(TensorProto.newBuilder().setName(w + "_quantized").addDims(rows).addDims(cols)
            .setDataType(TensorProto.DataType.INT8_VALUE).setRawData(ByteString.copyFrom(quantized)));
        graph.addInitializer(TensorProto.newBuilder().setName(w + "_zero_point").addDims(cols)
            .setDataType(TensorProto.DataType.INT8_VALUE).setRawData(ByteString.copyFrom(new byte[cols])));
        graph.addInitializer(TensorProto.newBuilder().setName(w + "_scale").addDims(cols)
            .setDataType(TensorProto.DataType.FLOAT_VALUE).setRawData(ByteString.copyFrom(BertWeights.littleEndian(scales))));

        final String out = node.getOutput(0);
        final String name = node.getName().isEmpty() ? out : node.getName();
        graph.addNode(NodeProto.newBuilder().setName(name + "_scales_mul").setOpType("Mul")
            .addInput(x + "_scale").addInput(w + "_scale").addOutput(name + "_scales"));
        graph.addNode(NodeProto.newBuilder().setName(name + "_quant").setOpType("MatMulInteger")
            .addInput(xq).addInput(w + "_quantized").addInput(x + "_zero_point").addInput(w + "_zero_point")
            .addOutput(out + "_int32"));
        graph.addNode(NodeProto.newBuilder().setName(name + "_cast").setOpType("Cast")
            .addInput(out + "_int32").addOutput(out + "_float")
            .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
                .setI(TensorProto.DataType.FLOAT_VALUE)));
        graph.addNode(NodeProto.newBuilder().setName(name + "_output_scale_mul").setOpType("Mul")
            .addInput(out + "_float").addInput(name + "_scales").addOutput(out));
    }

    private static void dequantizedGather(final GraphProto.Builder graph, final NodeProto node, final TensorProto table)
    {
        final float[] values = BertWeights.floats(table);
        float min = 0f;
        float max = 0f;
        for (final float value : values)
        {
            min = Math.min(min, value);
            max = Math.max(max, value);
        }
        final float scale = max > min ? (max - min) / 255f : 1f;
        final int zeroPoint = Math.max(0, Math.min(255, Math.round(-min / scale)));
        final byte[] quantized = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            quantized[i] = (byte)Math.max(0, Math.min(255, Math.round(values[i] / scale) + zeroPoint));
        }
        final String t = table.getName();
        graph.addInitializer(TensorProto.newBuilder().setName(t + "_quantized").addAllDims(table.getDimsList())
            .setDataType(TensorProto.DataType.UINT8_VALUE).setRawData(ByteString.copyFrom(quantized)));
        graph.addInitializer(TensorProto.newBuilder().setName(t + "_scale")
            .setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(scale));
        graph.addInitializer(TensorProto.newBuilder().setName(t + "_zero_point")
            .setDataType(TensorProto.DataType.UINT8_VALUE).setRawData(ByteString.copyFrom(new byte[] {(byte)zeroPoint})));
        final String out = node.getOutput(0);
        graph.addNode(node.toBuilder().setInput(0, t + "_quantized").setOutput(0, out + "_quantized"));
        graph.addNode(NodeProto.newBuilder().setName(out + "_DequantizeLinear").setOpType("DequantizeLinear")
            .addInput(out + "_quantized").addInput(t + "_scale").addInput(t + "_zero_point").addOutput(out));
    }
}
