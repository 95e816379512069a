package ivbot.mining;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

@Timeout(120)
class LevenshteinClustererTest
{
    @Test
    void shouldGroupKnownNearDuplicatesAndLeaveTheRestAsNoise(@TempDir final Path dir) throws Exception
    {
        final Path tsv = dir.resolve("q.tsv");
        Files.write(tsv, List.of("query",
            "年假有几天", "年假有几天啊", "年假有多少天", "今年年假有几天",
            "病假工资怎么算", "病假的工资怎么算", "病假工资咋算",
            "今天天气怎么样", "帮我写个快排", "你是机器人吗"), StandardCharsets.UTF_8);
        final Dataset<Row> questions = new NotUnderstood("out_of_scope", 0.6, 0.1)
            .questions(TurnInput.read(SharedSpark.get(), tsv.toString(), 1, 0, "t")).cache();
        final Map<String, Integer> idOf = new HashMap<>();
        for (final Row r : questions.collectAsList())
        {
            idOf.put(r.getString(1), r.getInt(0));
        }

        final Clustering clustering = new LevenshteinClusterer(0.4, 500, 3).cluster(questions, idOf.size());

        final int[] labels = clustering.labels();
        final int annual = labels[idOf.get("年假有几天")];
        final int sick = labels[idOf.get("病假工资怎么算")];
        assertNotEquals(Clustering.NOISE, annual);
        assertNotEquals(Clustering.NOISE, sick);
        assertNotEquals(annual, sick);
        for (final String q : List.of("年假有几天啊", "年假有多少天", "今年年假有几天"))
        {
            assertEquals(annual, labels[idOf.get(q)], q);
        }
        for (final String q : List.of("病假的工资怎么算", "病假工资咋算"))
        {
            assertEquals(sick, labels[idOf.get(q)], q);
        }
        for (final String q : List.of("今天天气怎么样", "帮我写个快排", "你是机器人吗"))
        {
            assertEquals(Clustering.NOISE, labels[idOf.get(q)], q);
        }
        assertEquals(2, clustering.clusters());
    }

    @Test
    void shouldMakeBigramsOfCodePoints()
    {
        assertEquals(List.of("年假", "假几", "几天"), LevenshteinClusterer.bigrams("年假几天"));
        assertEquals(List.of("好"), LevenshteinClusterer.bigrams("好"));
        assertEquals(List.of("𠀀a"), LevenshteinClusterer.bigrams("𠀀a"));
    }
}
