package ivbot.trainer;

import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The head of an ivbot package ({@code head.bin} and {@code labels.txt}, format in
 * {@link ivbot.inference.model.ModelPackage}), read to start a fine-tune from a trained head.
 *
 * @param labels  the labels, in row order.
 * @param hidden  the input width.
 * @param weights row-major {@code [labels][hidden]}.
 * @param bias    {@code [labels]}.
 */
record HeadFile(Intent[] labels, int hidden, float[] weights, float[] bias)
{
    private static final int MAGIC = 0x44485649; // "IVHD" little-endian

    static HeadFile read(final Path packageDir, final IntentCatalog catalog) throws IOException
    {
        final List<Intent> labels = new ArrayList<>();
        for (final String line : Files.readAllLines(packageDir.resolve("labels.txt"), StandardCharsets.UTF_8))
        {
            if (!line.isBlank())
            {
                final Intent intent = catalog.fromId(line.strip());
                if (intent == null)
                {
                    throw new IOException(packageDir.resolve("labels.txt") + ": '" + line.strip() +
                        "' is not an intent of catalog " + catalog.source());
                }
                labels.add(intent);
            }
        }
        final Path file = packageDir.resolve("head.bin");
        final byte[] bytes = Files.readAllBytes(file);
        final ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 12 || buf.getInt() != MAGIC)
        {
            throw new IOException(file + ": not a head file (expected magic IVHD)");
        }
        final int rows = buf.getInt();
        final int hidden = buf.getInt();
        if (rows != labels.size() || hidden <= 0 || bytes.length != 12L + 4L * ((long)rows * hidden + rows))
        {
            throw new IOException(file + ": " + rows + "x" + hidden + " in " + bytes.length + " bytes for "
                + labels.size() + " labels (expected: 12 + 4 * (labels * hidden + labels) bytes)");
        }
        final float[] weights = new float[rows * hidden];
        final float[] bias = new float[rows];
        buf.asFloatBuffer().get(weights);
        buf.position(buf.position() + weights.length * Float.BYTES);
        buf.asFloatBuffer().get(bias);
        return new HeadFile(labels.toArray(new Intent[0]), hidden, weights, bias);
    }
}
