package ivbot.server.explain;

import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.model.Prediction;
import ivbot.inference.model.QuestionIndex;
import ivbot.proto.Explanation;
import ivbot.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Explanations with the real frozen-encoder package {@code 20261125-1} and its shipped question index: the
 * saliency of clear cases, the top intents, the nearest questions.
 */
@Timeout(120)
class ExplainModelTest
{
    private static ExplainModel model;

    static Path headPackage()
    {
        return TestServer.repoRoot().resolve("models/repository/intent/20261125-1");
    }

    @BeforeAll
    static void load() throws Exception
    {
        model = ExplainModel.load(headPackage(), TestServer.catalog(), "cpu", 1, 16);
    }

    @AfterAll
    static void close()
    {
        model.close();
    }

    private static String mostSalient(final Explanation explanation)
    {
        Explanation.Token top = explanation.getSaliency(0);
        for (final Explanation.Token token : explanation.getSaliencyList())
        {
            top = token.getWeight() > top.getWeight() ? token : top;
        }
        return top.getToken();
    }

    @Test
    void shouldPutTheTopicWordOnTopForClearCases() throws Exception
    {
        // query, its intent, the characters of its topic word
        final String[][] cases = {
            {"年假有几天", "leave_annual", "年假"},
            {"病假工资怎么算", "leave_sick", "病假"},
            {"婚假几天", "leave_marriage", "婚假"},
            {"产假有多少天", "leave_parental", "产假"},
            {"工资几号发", "salary", "工资"},
            {"公积金比例多少", "social_insurance", "公积金"},
        };
        for (final String[] c : cases)
        {
            final Explanation explanation = model.explain(null, c[0], c[1]);
            assertEquals(c[1], explanation.getIntent(), c[0]);
            assertEquals(c[0].length(), explanation.getSaliencyCount(), "one token a character: " + c[0]);
            final String top = mostSalient(explanation);
            assertTrue(c[2].contains(top), c[0] + ": the most salient token is " + top + " (expected one of " + c[2] +
                "): " + explanation.getSaliencyList());
        }
    }

    @Test
    void shouldListTheTopThreeSortedWithTheModelsChoiceFirst() throws Exception
    {
        final Prediction[] out = new Prediction[1];
        for (final String query : List.of("年假有几天", "试用期可以请婚假吗", "你好", "P6升P7难不难", "校招生能落户吗"))
        {
            final Explanation explanation = model.explain(null, query, null);
            assertEquals(ExplainModel.TOP, explanation.getTopCount(), query);
            double sum = 0;
            for (int i = 0; i < explanation.getTopCount(); i++)
            {
                final float p = explanation.getTop(i).getProbability();
                assertTrue(p >= 0f && p <= 1f, query + ": " + p);
                if (i > 0)
                {
                    assertTrue(explanation.getTop(i - 1).getProbability() >= p, query + ": sorted " + explanation.getTopList());
                }
                sum += p;
            }
            assertTrue(sum <= 1.0 + 1e-5, query + ": sum " + sum);
            model.model().predict(List.of(TextNormalizer.normalize(query)), out);
            assertEquals(out[0].intent().id(), explanation.getTop(0).getIntent(), query);
            assertEquals(explanation.getTop(0).getIntent(), explanation.getIntent(), "without an intent: the model's first");
            assertEquals("20261125-1", explanation.getModelVersion());
            assertEquals(3, Set.of(explanation.getTop(0).getIntent(), explanation.getTop(1).getIntent(),
                explanation.getTop(2).getIntent()).size(), "three different intents");
        }
    }

    @Test
    void shouldExplainTheIntentItIsGivenWhereTheModelHasIt() throws Exception
    {
        final Explanation sick = model.explain(null, "年假有几天", "leave_sick");
        assertEquals("leave_sick", sick.getIntent(), "the reply's intent, even where the model preferred another");
        assertEquals("leave_annual", sick.getTop(0).getIntent());
        final Explanation unknown = model.explain(null, "年假有几天", "not_a_label");
        assertEquals("leave_annual", unknown.getIntent(), "an intent the model lacks: its own first choice");
    }

    @Test
    void shouldFindATrainingQuestionAskedVerbatimAsItsOwnNearest() throws Exception
    {
        final List<LabelledQuery> train = LabelledQuery.readTsv(TestServer.repoRoot().resolve("models/data/train.tsv"), TestServer.catalog());
        for (final int row : new int[] {3, 777, 2000})
        {
            final LabelledQuery question = train.get(row);
            final Explanation explanation = model.explain(null, question.text(), null);
            assertEquals(ExplainModel.TOP, explanation.getNearestCount());
            final Explanation.Nearest nearest = explanation.getNearest(0);
            assertEquals(question.text(), nearest.getText());
            assertEquals(question.intent().id(), nearest.getIntent());
            assertTrue(nearest.getSimilarity() > 0.99f, question.text() + ": " + nearest.getSimilarity());
            assertTrue(explanation.getNearest(1).getSimilarity() <= nearest.getSimilarity());
            assertTrue(explanation.getNearest(2).getSimilarity() <= explanation.getNearest(1).getSimilarity());
        }
    }

    @Test
    void shouldExplainWithoutNeighboursWhenThePackageHasNoIndex(@TempDir final Path dir) throws Exception
    {
        final Path pkg = dir.resolve("20261125-1");
        Files.createDirectories(pkg);
        try (Stream<Path> files = Files.list(headPackage()))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (!file.getFileName().toString().startsWith("index."))
                {
                    Files.copy(file, pkg.resolve(file.getFileName()));
                }
            }
        }
        assertFalse(QuestionIndex.exists(pkg));
        try (ExplainModel bare = ExplainModel.load(pkg, TestServer.catalog(), "cpu", 1, 16))
        {
            assertFalse(bare.hasIndex());
            final Explanation explanation = bare.explain(null, "病假工资怎么算", null);
            assertEquals(0, explanation.getNearestCount());
            assertEquals("leave_sick", explanation.getIntent());
            assertEquals(7, explanation.getSaliencyCount());
            assertEquals(ExplainModel.TOP, explanation.getTopCount());
        }
    }
}
