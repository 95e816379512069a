package ivbot.trainer;

import ai.onnxruntime.OrtSession;
import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.model.Encoder;
import ivbot.inference.model.OnnxGraphs;
import ivbot.inference.tokenizer.WordPieceTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Int8Quantizer} keeps the model's decisions: on the fp32 encoder with the frozen package's head,
 * the quantised graph's argmax agrees with the fp32 graph's on at least 99% of the dev set, and the file
 * shrinks to about a quarter.
 */
@Timeout(120)
class Int8AgreementTest
{
    @Test
    void shouldAgreeWithFp32OnNinetyNinePercentOfDevArgmaxes() throws Exception
    {
        final float[][] head = Fixtures.frozenHead();
        final byte[] fp32 = OnnxGraphs.withLinearHead(Encoder.BGE_SMALL_ZH_FP32.modelBytes(), Encoder.HIDDEN_OUTPUT, head[0], head[1]);
        final byte[] int8 = Int8Quantizer.quantize(fp32);
        assertTrue(int8.length < fp32.length / 3, "int8 " + int8.length + " bytes, fp32 " + fp32.length);

        final List<LabelledQuery> dev = Fixtures.read("dev.tsv");
        final WordPieceTokenizer tokenizer = Encoder.BGE_SMALL_ZH_FP32.tokenizer();
        final int batch = 64;
        final int maxLength = 128;
        final long[] ids = new long[batch * maxLength];
        final long[] mask = new long[batch * maxLength];
        final long[] types = new long[batch * maxLength];
        int agree = 0;
        try (OrtSession fp32Session = Fixtures.open(fp32); OrtSession int8Session = Fixtures.open(int8))
        {
        for (int start = 0; start < dev.size(); start += batch)
        {
            final List<String> texts = new ArrayList<>();
            for (final LabelledQuery row : dev.subList(start, Math.min(dev.size(), start + batch)))
            {
                texts.add(TextNormalizer.normalize(row.text()));
            }
            final int seq = tokenizer.encodeBatch(texts, maxLength, ids, mask, types);
            final float[] a = Fixtures.ortOutput(fp32Session, ids, mask, texts.size(), seq);
            final float[] b = Fixtures.ortOutput(int8Session, ids, mask, texts.size(), seq);
            final int labels = head[1].length;
            for (int row = 0; row < texts.size(); row++)
            {
                agree += argMax(a, row, labels) == argMax(b, row, labels) ? 1 : 0;
            }
        }
        }
        final double agreement = agree / (double)dev.size();
        System.out.printf("int8/fp32 argmax agreement on dev: %.4f (%d/%d)%n", agreement, agree, dev.size());
        assertTrue(agreement >= 0.99, "agreement " + agreement);
    }

    private static int argMax(final float[] logits, final int row, final int labels)
    {
        int best = 0;
        for (int c = 1; c < labels; c++)
        {
            best = logits[row * labels + c] > logits[row * labels + best] ? c : best;
        }
        return best;
    }
}
