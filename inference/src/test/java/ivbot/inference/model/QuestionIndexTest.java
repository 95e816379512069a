package ivbot.inference.model;

import ivbot.inference.Intent;
import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.LabelledQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The question index: its file round trip, its checks, its top-k, and the shipped index against the real
 * encoder.
 */
@Timeout(120)
class QuestionIndexTest
{
    private static float[] unit(final Random random, final int dim)
    {
        final float[] v = new float[dim];
        double norm = 0;
        for (int i = 0; i < dim; i++)
        {
            v[i] = (float)random.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < dim; i++)
        {
            v[i] /= (float)Math.sqrt(norm);
        }
        return v;
    }

    private static List<LabelledQuery> questions(final int n)
    {
        final List<LabelledQuery> rows = new ArrayList<>();
        for (int i = 0; i < n; i++)
        {
            rows.add(new LabelledQuery("问题\t" + i, Models.catalog().fromIndex(i % Models.catalog().size()), null));
        }
        return rows;
    }

    @Test
    void shouldFindTheSameNeighboursAfterAWriteAndARead(@TempDir final Path dir) throws IOException
    {
        final Random random = new Random(7);
        final float[][] vectors = new float[200][];
        for (int i = 0; i < vectors.length; i++)
        {
            vectors[i] = unit(random, 64);
        }
        final QuestionIndex index = QuestionIndex.of("bge-small-zh-v1.5-q", questions(200), vectors);
        assertFalse(QuestionIndex.exists(dir));
        index.write(dir);
        assertTrue(QuestionIndex.exists(dir));
        final QuestionIndex read = QuestionIndex.read(dir);
        assertEquals("bge-small-zh-v1.5-q", read.encoderId());
        assertEquals(200, read.size());
        assertEquals(64, read.dimension());
        assertEquals(20 + "bge-small-zh-v1.5-q".length() + 4 * 200 + 200 * 64, Files.size(dir.resolve(QuestionIndex.VECTORS)));
        for (int q = 0; q < 20; q++)
        {
            final QuestionIndex.Neighbour[] before = index.nearest(vectors[q * 7], 5);
            assertArrayEquals(before, read.nearest(vectors[q * 7], 5));
            // a stored vector is its own nearest, at a cosine near 1 after quantisation
            assertEquals("问题 " + q * 7, before[0].text(), "a tab in a question becomes a space");
            assertEquals(Models.catalog().fromIndex(q * 7 % Models.catalog().size()).id(), before[0].intent());
            assertTrue(before[0].similarity() > 0.99f, "similarity " + before[0].similarity());
            for (int i = 1; i < before.length; i++)
            {
                assertTrue(before[i - 1].similarity() >= before[i].similarity(), "sorted, most similar first");
            }
        }
    }

    @Test
    void shouldReturnTheTrueTopKByCosine()
    {
        final Random random = new Random(11);
        final float[][] vectors = new float[300][];
        for (int i = 0; i < vectors.length; i++)
        {
            vectors[i] = unit(random, 32);
        }
        final QuestionIndex index = QuestionIndex.of("bge-small-zh-v1.5-q", questions(300), vectors);
        final float[] query = unit(random, 32);
        // brute force in double on the unquantised vectors
        final Integer[] order = new Integer[vectors.length];
        final double[] cosine = new double[vectors.length];
        for (int i = 0; i < vectors.length; i++)
        {
            order[i] = i;
            for (int d = 0; d < 32; d++)
            {
                cosine[i] += query[d] * vectors[i][d];
            }
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(cosine[b], cosine[a]));
        final QuestionIndex.Neighbour[] nearest = index.nearest(query, 3);
        assertEquals(3, nearest.length);
        for (int i = 0; i < 3; i++)
        {
            assertEquals("问题 " + order[i], nearest[i].text());
            assertEquals(cosine[order[i]], nearest[i].similarity(), 0.02);
        }
        assertEquals(300, index.nearest(query, 1000).length, "k past the size gives every question");
    }

    @Test
    void shouldRefuseFilesThatDoNotMatch(@TempDir final Path dir) throws IOException
    {
        final Random random = new Random(3);
        final float[][] vectors = {unit(random, 8), unit(random, 8)};
        QuestionIndex.of("bge-small-zh-v1.5-q", questions(2), vectors).write(dir);
        Files.writeString(dir.resolve(QuestionIndex.TEXTS), "只有一行\tgreeting\n");
        final IOException lines = assertThrows(IOException.class, () -> QuestionIndex.read(dir));
        assertTrue(lines.getMessage().contains("1 lines (expected: 2"), lines.getMessage());

        QuestionIndex.of("bge-small-zh-v1.5-q", questions(2), vectors).write(dir);
        final byte[] bytes = Files.readAllBytes(dir.resolve(QuestionIndex.VECTORS));
        Files.write(dir.resolve(QuestionIndex.VECTORS), java.util.Arrays.copyOf(bytes, bytes.length - 1));
        final IOException truncated = assertThrows(IOException.class, () -> QuestionIndex.read(dir));
        assertTrue(truncated.getMessage().contains("bytes (expected: " + bytes.length + ")"), truncated.getMessage());

        Files.writeString(dir.resolve(QuestionIndex.VECTORS), "not an index at all");
        final IOException magic = assertThrows(IOException.class, () -> QuestionIndex.read(dir));
        assertTrue(magic.getMessage().contains("expected magic IVIX"), magic.getMessage());
    }

    @Test
    void shouldFindATrainingQuestionAskedVerbatimAsItsOwnNearest() throws Exception
    {
        final QuestionIndex index = QuestionIndex.read(Models.headPackage());
        final List<LabelledQuery> train = LabelledQuery.readTsv(Models.repoRoot().resolve("models/data/train.tsv"), Models.catalog());
        assertEquals(train.size(), index.size(), "the shipped index holds every training question");
        try (Embedder embedder = ModelPackage.openEmbedder(Encoder.fromId(index.encoderId()), "cpu", 1, 8, 128))
        {
            for (final int row : new int[] {0, 400, 1100, 1700, train.size() - 1})
            {
                final LabelledQuery question = train.get(row);
                final float[] vector = embedder.embed(List.of(TextNormalizer.normalize(question.text())))[0];
                final QuestionIndex.Neighbour nearest = index.nearest(vector, 3)[0];
                assertEquals(question.text(), nearest.text());
                assertEquals(question.intent().id(), nearest.intent());
                assertTrue(nearest.similarity() > 0.99f, question.text() + ": similarity " + nearest.similarity());
            }
        }
    }
}
