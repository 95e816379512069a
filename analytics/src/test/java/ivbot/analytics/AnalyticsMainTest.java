package ivbot.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.localstack.ClickHouseHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ivbot analytics up|status|down} on real processes: up starts Kafka, ClickHouse and the job in the
 * background and prints the serve line; status sees them and counts the tables' rows; down stops all three.
 */
@Timeout(150)
class AnalyticsMainTest
{
    private static String run(final String... args)
    {
        final StringWriter out = new StringWriter();
        final CommandLine cli = new CommandLine(AnalyticsMain.class);
        cli.setOut(new PrintWriter(out));
        final int rc = cli.execute(args);
        return rc + "\n" + out;
    }

    @Test
    void shouldStartReportAndStopTheStack(@TempDir final Path dir) throws Exception
    {
        final String state = dir.resolve("analytics").toString();
        try
        {
            final String up = run("up", "--state", state);
            assertTrue(up.startsWith("0\n"), up);
            assertTrue(up.matches("(?s).*Serve with: \\./ivbot serve --events kafka://127\\.0\\.0\\.1:\\d+/turns\n.*"), up);
            final JsonNode s = new ObjectMapper().readTree(dir.resolve("analytics/state.json").toFile());
            final List<Long> pids = List.of(s.path("clickhouse").path("pid").asLong(), s.path("kafka").path("pid").asLong(),
                s.path("job").path("pid").asLong());
            for (final long pid : pids)
            {
                assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " runs: " + s);
            }
            final ClickHouseHttp http = new ClickHouseHttp(s.path("clickhouse").path("url").asText(), Duration.ofSeconds(10));
            assertEquals(0, http.queryLong("SELECT count() FROM ivbot.turns"), "the tables exist");
            final String status = run("status", "--state", state);
            assertTrue(status.startsWith("0\n"), status);
            assertTrue(status.contains("job: running") && status.contains("kafka: running") &&
                status.contains("clickhouse: running") && status.contains("ivbot.turns: 0 rows"), status);
            assertTrue(run("up", "--state", state).contains("already up"), "a second up refuses");

            final String down = run("down", "--state", state);
            assertTrue(down.startsWith("0\n") && down.contains("job stopped") && down.contains("kafka stopped") &&
                down.contains("clickhouse stopped"), down);
            for (final long pid : pids)
            {
                assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " stopped");
            }
            assertTrue(run("status", "--state", state).contains("job: stopped"));
        }
        finally
        {
            // nothing may outlive the test, whatever failed above
            run("down", "--state", state);
        }
    }
}
