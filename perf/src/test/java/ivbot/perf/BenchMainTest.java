package ivbot.perf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ivbot bench} end to end through its command line, against the tiny HTTP server.
 */
@Timeout(30)
class BenchMainTest
{
    private static final Pattern MACHINE_LINE = Pattern.compile("bench: rate=(\\d+|closed) achieved=[0-9.]+"
        + " p50_ms=[0-9.]+ p90_ms=[0-9.]+ p99_ms=[0-9.]+ p999_ms=[0-9.]+ max_ms=[0-9.]+ errors=\\d+"
        + " fallback_share=[0-9.]+ cache_hit_share=[0-9.]+");

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(final String... args)
    {
        final List<String> all = new ArrayList<>(List.of(args));
        all.add("--queries=" + BenchInputsTest.repoRoot().resolve("models/data/dev.tsv"));
        return BenchMain.execute(all.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), name -> null);
    }

    private String lastLine()
    {
        final String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        return lines[lines.length - 1];
    }

    @Test
    void shouldRunOpenLoopAndWriteHgrmAndMachineLine(@TempDir final Path dir) throws Exception
    {
        final Path hgrm = dir.resolve("out.hgrm");
        try (StallingHttpServer server = new StallingHttpServer(0, 0))
        {
            final int code = run("--url", server.url(), "--rate", "200", "--duration", "1s", "--warmup", "200ms",
                "--connections", "2", "--users", "8", "--token", "t", "--hgrm", hgrm.toString());
            assertEquals(0, code, () -> out + "\n" + err);
            assertTrue(MACHINE_LINE.matcher(lastLine()).matches(), lastLine());
            assertTrue(lastLine().startsWith("bench: rate=200 "), lastLine());
            assertTrue(lastLine().contains(" errors=0 "), lastLine());
            assertTrue(server.requests.get() >= 230, "requests " + server.requests.get());
        }
        final String distribution = Files.readString(hgrm, StandardCharsets.UTF_8);
        assertTrue(distribution.contains("Value     Percentile TotalCount 1/(1-Percentile)"), distribution);
        assertTrue(distribution.contains("#[Max     ="), distribution);
    }

    @Test
    void shouldRunClosedLoop() throws Exception
    {
        try (StallingHttpServer server = new StallingHttpServer(0, 0))
        {
            final int code = run("--url", server.url(), "--concurrency", "4", "--duration", "500ms", "--warmup", "0",
                "--connections", "2", "--token", "t");
            assertEquals(0, code, () -> out + "\n" + err);
            assertTrue(MACHINE_LINE.matcher(lastLine()).matches(), lastLine());
            assertTrue(lastLine().startsWith("bench: rate=closed "), lastLine());
        }
    }

    @Test
    void shouldCountErrorRepliesByStatusAndCode() throws Exception
    {
        try (StallingHttpServer server = new StallingHttpServer(0, 0))
        {
            final int code = run("--url", server.url(), "--rate", "100", "--duration", "500ms", "--warmup", "0",
                "--connections", "1", "--token", "t", "--path", "/nope");
            assertEquals(1, code, "nothing succeeded");
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("errors: 404/not_found="), out.toString(StandardCharsets.UTF_8));
            assertTrue(MACHINE_LINE.matcher(lastLine()).matches(), lastLine());
        }
    }

    @Test
    void shouldFindMaxRate() throws Exception
    {
        try (StallingHttpServer server = new StallingHttpServer(0, 0))
        {
            final int code = run("--url", server.url(), "--find-max", "--p99", "1s", "--min-rate", "20",
                "--max-rate", "80", "--duration", "500ms", "--warmup", "300ms", "--connections", "1", "--token", "t");
            final String text = out.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains("find-max: step 1 rate=20 "), text);
            // whether a step passes depends on this machine's load; the search and its output do not
            final Matcher result = Pattern.compile("find-max: rate=(\\d+) p99_ms=(\\S+) steps=(\\d+) rescued=(\\d+)").matcher(lastLine());
            assertTrue(result.matches(), lastLine());
            assertEquals(result.group(1).equals("0") ? 1 : 0, code, text);
            final int rate = Integer.parseInt(result.group(1));
            assertTrue(rate == 0 || rate >= 20 && rate <= 80, lastLine());
        }
    }

    @Test
    void shouldCountAnyOkReplyAsSuccessUnderRaw() throws Exception
    {
        try (StallingHttpServer server = new StallingHttpServer(0, 0))
        {
            final int code = run("--url", server.url(), "--rate", "100", "--duration", "500ms", "--warmup", "0",
                "--connections", "1", "--token", "t", "--path", "/plain", "--raw");
            assertEquals(0, code, () -> out + "\n" + err);
            assertTrue(lastLine().contains(" errors=0 "), lastLine());
        }
    }

    @Test
    void shouldCountPlainTextRepliesAsUnreadableWithoutRaw() throws Exception
    {
        try (StallingHttpServer server = new StallingHttpServer(0, 0))
        {
            final int code = run("--url", server.url(), "--rate", "100", "--duration", "500ms", "--warmup", "0",
                "--connections", "1", "--token", "t", "--path", "/plain");
            assertEquals(1, code, "nothing succeeded");
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("errors: 200/unreadable_body="),
                out.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldSendEveryQueryOnceUnderUnique() throws Exception
    {
        try (StallingHttpServer server = new StallingHttpServer(0, 0))
        {
            final int code = run("--url", server.url(), "--rate", "400", "--duration", "500ms", "--warmup", "100ms",
                "--connections", "3", "--users", "6", "--turns-per-session", "1", "--token", "t", "--unique");
            assertEquals(0, code, () -> out + "\n" + err);
            // one user's bodies carry no session (a new one each turn): equal bodies would mean equal queries
            assertEquals(server.requests.get(), server.bodies.size(), "distinct bodies of " + server.requests.get());
            assertTrue(server.bodies.stream().allMatch(body -> body.matches(".*\"query\":\".* #\\d+\".*")),
                String.valueOf(server.bodies.stream().limit(3).toList()));
        }
    }

    @Test
    void shouldRejectSettingsAndMissingSecretWithStatus() throws Exception
    {
        assertEquals(2, run("--rate", "10", "--concurrency", "2", "--token", "t"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--rate="), err.toString(StandardCharsets.UTF_8));
        assertEquals(2, run("--rate", "10", "--duration", "soon", "--token", "t"));
        assertEquals(2, run("--rate", "10", "--protocol", "proto", "--raw", "--token", "t"));
        assertEquals(1, run("--rate", "10", "--dev-secret-file", "/nonexistent/dev-jwt-secret"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no token"), err.toString(StandardCharsets.UTF_8));
    }
}
