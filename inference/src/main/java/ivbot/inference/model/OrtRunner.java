package ivbot.inference.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ivbot.inference.tokenizer.WordPieceTokenizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs batches of texts through an ONNX session whose single output is {@code [batch, width]} floats:
 * tokenises into reusable buffers, pads to the batch's longest sequence, makes one {@code run} call and
 * copies the output rows out.
 * <p>
 * Not thread-safe: one thread at a time (the inference agent, or a trainer). The session is owned and
 * closed by this runner.
 */
final class OrtRunner implements AutoCloseable
{
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final String device;
    private final WordPieceTokenizer tokenizer;
    private final int maxBatchSize;
    private final int maxLength;
    private final boolean feedsTokenTypes;
    private final long[] inputIds;
    private final long[] attentionMask;
    private final long[] tokenTypeIds;
    // direct, native order: ONNX Runtime reads them in place, where a heap buffer costs a fresh direct copy per input
    // and call (ByteBuffer.allocateDirect: zeroed, and freed only by a Cleaner after GC)
    private final LongBuffer idsIn;
    private final LongBuffer maskIn;
    private final LongBuffer typesIn;
    // length-split batches (see splitByLength): the rows by length, the split, and the whole batch's encoding
    private final long[] order;
    private final long[] splitIds;
    private final long[] splitMask;
    private final long[] splitTypes;
    private final float[] splitOut;
    private int splitAt;
    private int shortSeq;
    private long lengthSplits;
    private final int width;
    private boolean closed;

    /** Batches smaller than this always run as one. */
    static final int MIN_SPLIT_BATCH = 8;
    /** The share of a batch's tokens a length split must save. */
    static final int MIN_SPLIT_SAVING_PERCENT = 25;

    OrtRunner(final OrtSessions.Opened opened, final WordPieceTokenizer tokenizer, final int maxBatchSize, final int maxLength)
        throws OrtException
    {
        if (maxBatchSize <= 0)
        {
            throw new IllegalArgumentException("maxBatchSize=" + maxBatchSize + " (expected: > 0)");
        }
        if (maxLength < 3)
        {
            throw new IllegalArgumentException("maxLength=" + maxLength + " (expected: >= 3)");
        }
        this.session = opened.session();
        this.device = opened.device();
        this.tokenizer = tokenizer;
        this.maxBatchSize = maxBatchSize;
        this.maxLength = maxLength;
        if (!session.getInputNames().contains("input_ids") || !session.getInputNames().contains("attention_mask"))
        {
            throw new OrtException("model inputs " + session.getInputNames() + " (expected: input_ids, attention_mask[, token_type_ids])");
        }
        if (session.getOutputNames().size() != 1)
        {
            throw new OrtException("model outputs " + session.getOutputNames() + " (expected: exactly one)");
        }
        this.feedsTokenTypes = session.getInputNames().contains("token_type_ids");
        this.inputIds = new long[maxBatchSize * maxLength];
        this.attentionMask = new long[maxBatchSize * maxLength];
        this.tokenTypeIds = new long[maxBatchSize * maxLength];
        this.idsIn = directLongs(maxBatchSize * maxLength);
        this.maskIn = directLongs(maxBatchSize * maxLength);
        this.typesIn = directLongs(maxBatchSize * maxLength);
        this.order = new long[maxBatchSize];
        this.splitIds = new long[maxBatchSize * maxLength];
        this.splitMask = new long[maxBatchSize * maxLength];
        this.splitTypes = new long[maxBatchSize * maxLength];
        this.width = probeWidth();
        this.splitOut = new float[maxBatchSize * width];
    }

    private int probeWidth() throws OrtException
    {
        final float[] out = new float[4096];
        return run(List.of("你好"), out);
    }

    /**
     * @return the device the session runs on.
     */
    String device()
    {
        return device;
    }

    /**
     * @return the output's row width.
     */
    int width()
    {
        return width;
    }

    /**
     * @return the largest batch {@link #run} takes.
     */
    int maxBatchSize()
    {
        return maxBatchSize;
    }

    /**
     * Runs one batch.
     *
     * @param texts normalised texts, at most {@link #maxBatchSize()}.
     * @param out   receives {@code texts.size()} rows of {@link #width()} floats, row-major.
     * @return the row width.
     * @throws OrtException when ONNX Runtime fails.
     */
    int run(final List<String> texts, final float[] out) throws OrtException
    {
        return run(null, texts, out);
    }

    /**
     * Runs one batch of sentence pairs (see {@link WordPieceTokenizer#encodeBatch(List, List, int, long[], long[],
     * long[])}).
     *
     * @param contexts segment A of each row, {@code null} or empty for none; {@code null} for no contexts.
     * @param texts    normalised texts, at most {@link #maxBatchSize()}.
     * @param out      receives {@code texts.size()} rows of {@link #width()} floats, row-major.
     * @return the row width.
     * @throws OrtException when ONNX Runtime fails.
     */
    int run(final List<String> contexts, final List<String> texts, final float[] out) throws OrtException
    {
        final int batch = texts.size();
        final int seq = tokenizer.encodeBatch(contexts, texts, maxLength, inputIds, attentionMask, tokenTypeIds);
        if (batch >= MIN_SPLIT_BATCH && splitByLength(batch, seq))
        {
            lengthSplits++;
            return runSplit(batch, seq, out);
        }
        return runEncoded(batch, seq, out);
    }

    /**
     * Whether a batch is better run as two, its shorter rows apart from its longer ones: every row is padded to the
     * batch's longest, so a batch of mixed lengths computes padding. Finds the split (rows sorted by length) with the
     * fewest padded tokens and takes it when it saves at least {@value #MIN_SPLIT_SAVING_PERCENT}% of the tokens (one
     * more ONNX Runtime call costs about as much as a few rows). Leaves the rows' order in {@link #order}, the split
     * in {@link #splitAt} and {@link #shortSeq}.
     */
    private boolean splitByLength(final int batch, final int seq)
    {
        for (int row = 0; row < batch; row++)
        {
            int length = seq;
            while (length > 0 && attentionMask[row * seq + length - 1] == 0)
            {
                length--;
            }
            // length in the high bits, row in the low: one sort orders the rows by length
            order[row] = (long)length << 32 | row;
        }
        Arrays.sort(order, 0, batch);
        long best = (long)batch * seq;
        int at = 0;
        for (int k = 1; k < batch; k++)
        {
            final long tokens = (long)k * (int)(order[k - 1] >>> 32) + (long)(batch - k) * seq;
            if (tokens < best)
            {
                best = tokens;
                at = k;
            }
        }
        if (at == 0 || best * 100 > (long)batch * seq * (100 - MIN_SPLIT_SAVING_PERCENT))
        {
            return false;
        }
        splitAt = at;
        shortSeq = (int)(order[at - 1] >>> 32);
        return true;
    }

    private int runSplit(final int batch, final int seq, final float[] out) throws OrtException
    {
        // the whole batch's encoding aside; each part is copied back into the runner's arrays and run
        final int n = batch * seq;
        System.arraycopy(inputIds, 0, splitIds, 0, n);
        System.arraycopy(attentionMask, 0, splitMask, 0, n);
        System.arraycopy(tokenTypeIds, 0, splitTypes, 0, n);
        int rowWidth = 0;
        for (int part = 0; part < 2; part++)
        {
            final int first = part == 0 ? 0 : splitAt;
            final int rows = part == 0 ? splitAt : batch - splitAt;
            final int partSeq = part == 0 ? shortSeq : seq;
            for (int j = 0; j < rows; j++)
            {
                final int row = (int)order[first + j];
                System.arraycopy(splitIds, row * seq, inputIds, j * partSeq, partSeq);
                System.arraycopy(splitMask, row * seq, attentionMask, j * partSeq, partSeq);
                System.arraycopy(splitTypes, row * seq, tokenTypeIds, j * partSeq, partSeq);
            }
            rowWidth = runEncoded(rows, partSeq, splitOut);
            for (int j = 0; j < rows; j++)
            {
                System.arraycopy(splitOut, j * rowWidth, out, (int)order[first + j] * rowWidth, rowWidth);
            }
        }
        return rowWidth;
    }

    /**
     * Encodes one turn as {@link #run(List, List, float[])} would, without running it.
     *
     * @param context segment A, {@code null} or empty for none.
     * @param text    the normalised text.
     * @return the turn's token ids and token types, unpadded, {@code [CLS]} and {@code [SEP]}s included.
     */
    EncodedTurn encode(final String context, final String text)
    {
        final int seq = tokenizer.encodeBatch(context == null ? null : List.of(context), List.of(text), maxLength,
            inputIds, attentionMask, tokenTypeIds);
        return new EncodedTurn(Arrays.copyOf(inputIds, seq), Arrays.copyOf(tokenTypeIds, seq));
    }

    /**
     * Runs rows that all have one length and no padding, such as copies of one {@link #encode encoded} turn.
     *
     * @param ids      {@code rows * seq} token ids, row-major from row {@code first}.
     * @param types    the token types, laid out as {@code ids}.
     * @param first    the first row to run.
     * @param rows     how many rows, at most {@link #maxBatchSize()}.
     * @param seq      the row length, at most the runner's maximum length.
     * @param out      receives {@code rows} rows of {@link #width()} floats, row-major.
     * @return the row width.
     * @throws OrtException when ONNX Runtime fails.
     */
    int runRows(final long[] ids, final long[] types, final int first, final int rows, final int seq, final float[] out)
        throws OrtException
    {
        if (rows > maxBatchSize || seq > maxLength)
        {
            throw new IllegalArgumentException("rows=" + rows + ", seq=" + seq + " (expected: rows <= " + maxBatchSize +
                ", seq <= " + maxLength + ")");
        }
        final int n = rows * seq;
        System.arraycopy(ids, first * seq, inputIds, 0, n);
        System.arraycopy(types, first * seq, tokenTypeIds, 0, n);
        Arrays.fill(attentionMask, 0, n, 1L);
        return runEncoded(rows, seq, out);
    }

    /**
     * @return batches run as two by length so far; read on the runner's thread (tests).
     */
    long lengthSplits()
    {
        return lengthSplits;
    }

    /**
     * @return the tokenizer.
     */
    WordPieceTokenizer tokenizer()
    {
        return tokenizer;
    }

    private int runEncoded(final int batch, final int seq, final float[] out) throws OrtException
    {
        final long[] shape = {batch, seq};
        final int n = batch * seq;
        final Map<String, OnnxTensor> inputs = new HashMap<>(4);
        try
        {
            inputs.put("input_ids", OnnxTensor.createTensor(env, fill(idsIn, inputIds, n), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, fill(maskIn, attentionMask, n), shape));
            if (feedsTokenTypes)
            {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, fill(typesIn, tokenTypeIds, n), shape));
            }
            try (OrtSession.Result result = session.run(inputs))
            {
                final OnnxTensor tensor = (OnnxTensor)result.get(0);
                final long[] outShape = tensor.getInfo().getShape();
                if (outShape.length != 2 || outShape[0] != batch)
                {
                    throw new OrtException("model output shape " + Arrays.toString(outShape) + " (expected: [" + batch + ", width])");
                }
                final int rowWidth = (int)outShape[1];
                final FloatBuffer floats = tensor.getFloatBuffer();
                floats.get(out, 0, batch * rowWidth);
                return rowWidth;
            }
        }
        finally
        {
            for (final OnnxTensor tensor : inputs.values())
            {
                tensor.close();
            }
        }
    }

    private static LongBuffer directLongs(final int capacity)
    {
        return ByteBuffer.allocateDirect(capacity * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    private static LongBuffer fill(final LongBuffer buffer, final long[] values, final int n)
    {
        buffer.clear();
        buffer.put(values, 0, n);
        buffer.flip();
        return buffer;
    }

    /**
     * One encoded turn.
     *
     * @param ids   token ids, {@code [CLS] [context [SEP]] text [SEP]}.
     * @param types token types, 0 up to the first {@code [SEP]} of a pair, 1 after.
     */
    record EncodedTurn(long[] ids, long[] types)
    {
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            session.close();
        }
        catch (final OrtException | IllegalStateException ignore)
        {
            // closing a session that failed is best effort
        }
    }
}
