package ivbot.mining;

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
import static org.junit.jupiter.api.Assertions.assertThrows;

@Timeout(120)
class NotUnderstoodTest
{
    private static final long NOW_MS = 1_800_000_000_000L;

    private static String event(final long ageMs, final String query, final String intent, final double confidence,
        final double margin, final String source, final String fallbackReason, final boolean clarifying)
    {
        // field order and extra fields (low_confidence) as a newer server may write them: unknown ones are ignored
        return "{\"event_id\":\"e\",\"timestamp_ms\":" + (NOW_MS - ageMs) + ",\"session_id\":\"s\",\"user_hash\":\"u\",\"turn\":1,"
            + "\"query\":\"" + query + "\",\"normalized_query\":\"" + query.toLowerCase() + "\",\"intent\":\"" + intent + "\","
            + "\"audience\":\"\",\"confidence\":" + confidence + ",\"margin\":" + margin + ",\"source\":\"" + source + "\","
            + "\"fallback_reason\":\"" + fallbackReason + "\",\"model_version\":\"v\",\"cohort\":\"\",\"latency_ms\":1.5,"
            + "\"context_lost\":false,\"clarifying\":" + clarifying + ",\"low_confidence\":false}";
    }

    @Test
    void shouldPickExactlyTheNotUnderstoodTurnsOfAnEventsFolder(@TempDir final Path dir) throws Exception
    {
        final List<String> day0 = List.of(
            event(1000, "年假几天", "leave_annual", 0.98, 0.95, "model", "", false),            // understood
            event(1000, "病假工资", "leave_sick", 1.0, 0.0, "rules", "", false),               // rules first: understood
            event(1000, "讲个笑话", "out_of_scope", 0.99, 0.98, "model", "", false),            // fallback intent
            event(1000, "那个呢", "leave_annual", 0.9, 0.5, "model", "", true),                // clarifying question
            event(1000, "婚假几天", "leave_annual", 0.52, 0.2, "rules", "deadline", false),     // rules fell back
            event(1000, "能落户吗", "application", 0.41, 0.3, "model", "", false),              // low confidence
            event(2000, "能落户吗", "application", 0.45, 0.3, "cache", "", false),              // the same, cached
            event(1000, "能远程吗", "work_hours", 0.7, 0.05, "model", "", false),               // low margin
            event(1000, "婚假呢", "leave_annual", 0.55, 0.0, "rules", "", false),              // rules, low confidence
            event(1000, "HR在吗", "human_agent", 0.99, 0.0, "rules", "", false),             // rules, sure: understood
            // clarifying as ClickHouse's UInt8 writes it
            event(1000, "哪个假", "leave_annual", 0.9, 0.5, "model", "", false).replace("\"clarifying\":false", "\"clarifying\":1"),
            event(1000, "产假几天", "leave_parental", 0.9, 0.5, "model", "", false).replace("\"clarifying\":false", "\"clarifying\":0"),
            // the server's own verdict (unknown), as it writes it and as ClickHouse's UInt8 does
            event(1000, "转正答辩呢", "intern_conversion", 0.9, 0.5, "model", "", false).replace("}", ",\"unknown\":true}"),
            event(1000, "转岗流程", "application", 0.9, 0.5, "model", "", false).replace("}", ",\"unknown\":1}"),
            event(1000, "试用期多久", "probation", 0.9, 0.5, "model", "", false).replace("}", ",\"unknown\":0}"));
        final List<String> day1 = List.of(
            event(2 * 86_400_000L, "很久以前的问题", "out_of_scope", 0.9, 0.9, "model", "", false)); // outside --since 1d
        Files.write(dir.resolve("turns-2026-12-01-0.jsonl"), day1, StandardCharsets.UTF_8);
        Files.write(dir.resolve("turns-2026-12-02-0.jsonl"), day0, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("README.txt"), "not an events file");

        final NotUnderstood filter = new NotUnderstood("out_of_scope", 0.6, 0.1);
        final List<Row> rows = filter.questions(TurnInput.read(SharedSpark.get(), dir.toString(), 86_400_000L, NOW_MS, "t"))
            .collectAsList();

        final Map<String, Long> turns = new HashMap<>();
        for (final Row r : rows)
        {
            turns.put(r.getString(r.fieldIndex(NotUnderstood.TEXT)), r.getLong(r.fieldIndex(NotUnderstood.TURNS)));
        }
        assertEquals(Map.of("讲个笑话", 1L, "那个呢", 1L, "婚假几天", 1L, "能落户吗", 2L, "能远程吗", 1L, "婚假呢", 1L, "哪个假", 1L,
            "转正答辩呢", 1L, "转岗流程", 1L), turns);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8), rows.stream().map(r -> r.getInt(r.fieldIndex(NotUnderstood.ID))).sorted().toList());
    }

    @Test
    void shouldRejectASettingOutOfRangeNamingIt()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new NotUnderstood("out_of_scope", 1.5, 0));
        assertEquals("--max-confidence=1.5 (expected: 0 to 1)", ex.getMessage());
    }
}
