package ivbot.server.cli;

import ivbot.server.TestServer;
import ivbot.server.auth.JwtAuthenticator;
import ivbot.server.auth.Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliTest
{
    private static final class Run
    {
        int code;
        String out;
        String err;
    }

    private static synchronized Run run(final String... args)
    {
        final PrintStream saved = System.out;
        final PrintStream savedErr = System.err;
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        final ByteArrayOutputStream errors = new ByteArrayOutputStream();
        final Run run = new Run();
        try
        {
            System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(errors, true, StandardCharsets.UTF_8));
            run.code = Main.commandLine().execute(args);
        }
        finally
        {
            System.setOut(saved);
            System.setErr(savedErr);
        }
        run.out = buffer.toString(StandardCharsets.UTF_8).strip();
        run.err = errors.toString(StandardCharsets.UTF_8).strip();
        return run;
    }

    private static String lastLine(final String text)
    {
        final String[] lines = text.split("\n");
        return lines[lines.length - 1];
    }

    private static Path kbDir()
    {
        return TestServer.repoRoot().resolve("models/kb");
    }

    @Test
    void shouldPrintEvalSummaryAsLastLine(@TempDir final Path dir) throws Exception
    {
        final Path data = dir.resolve("small.tsv");
        Files.writeString(data, "text\tintent\taudience\n年假几天\tleave_annual\t\n病假工资怎么算\tleave_sick\t\n"
            + "今天天气怎么样\tout_of_scope\t\n公积金比例多少\tleave_annual\tcampus\n", StandardCharsets.UTF_8);
        final Run run = run("eval", "--data", data.toString());
        assertEquals(0, run.code);
        assertEquals("accuracy=0.7500 macro_f1=0.6667 n=4", lastLine(run.out), run.out);
        assertTrue(run.out.contains("leave_annual"), run.out);
    }

    @Test
    void shouldIndexAPackageThenExplainWithItsNearestQuestions(@TempDir final Path dir) throws Exception
    {
        final Path pkg = dir.resolve("20261125-1");
        Files.createDirectories(pkg);
        for (final String file : List.of("manifest.json", "labels.txt", "head.bin"))
        {
            Files.copy(TestServer.repoRoot().resolve("models/repository/intent/20261125-1").resolve(file), pkg.resolve(file));
        }
        final Path data = dir.resolve("few.tsv");
        Files.writeString(data, "text\tintent\taudience\n婚假有几天\tleave_marriage\t\n公积金交多少\tsocial_insurance\t\n"
            + "几点上班\twork_hours\t\n", StandardCharsets.UTF_8);
        final Run index = run("index", "--package", pkg.toString(), "--data", data.toString(), "--threads", "1");
        assertEquals(0, index.code, index.err);
        assertTrue(index.out.startsWith("indexed 3 questions with bge-small-zh-v1.5-q"), index.out);
        assertEquals("婚假有几天\tleave_marriage\n公积金交多少\tsocial_insurance\n几点上班\twork_hours\n",
            Files.readString(pkg.resolve("index.tsv")));

        final Run explain = run("explain", "--package", pkg.toString(), "--runs", "2", "婚假几天");
        assertEquals(0, explain.code, explain.err);
        final String[] lines = explain.out.split("\n");
        assertEquals("package 20261125-1", lines[0]);
        assertTrue(lines[1].startsWith("婚假几天\t{\"intent\":\"leave_marriage\""), lines[1]);
        assertTrue(lines[1].contains("\"nearest\":[{\"text\":\"婚假有几天\",\"intent\":\"leave_marriage\""), lines[1]);
        assertTrue(lines[2].matches("explain: median [0-9.]+ ms, p90 [0-9.]+ ms; predict \\(one query\\): median [0-9.]+ ms; "
            + "ratio [0-9.]+x; 4\\.0 masked copies a query; 2 runs x 1 queries, interleaved, 1 ONNX Runtime thread\\(s\\)"),
            lines[2]);
    }

    @Test
    void shouldSayWhichOptionNamedAMissingFile(@TempDir final Path dir)
    {
        final Path missing = dir.resolve("dev.tsv");
        final Run eval = run("eval", "--data", missing.toString());
        assertEquals(1, eval.code);
        assertEquals("ivbot eval: --data " + missing + ": not found", eval.err);
        final Run dialogs = run("eval-dialogs", "--data", missing.toString());
        assertEquals("ivbot eval-dialogs: --data " + missing + ": not found", dialogs.err);
    }

    @Test
    void shouldRefuseAnExistingPackageFolderBeforeTraining(@TempDir final Path dir) throws Exception
    {
        final Path out = Files.createDirectories(dir.resolve("20260101-1"));
        final long startNs = System.nanoTime();
        final Run train = run("train", "--out", out.toString(), "--data", kbDir().resolve("../data/train.tsv").toString(),
            "--dev", kbDir().resolve("../data/dev.tsv").toString());
        assertEquals(1, train.code);
        assertTrue(train.err.startsWith("ivbot train: --out " + out + ": already exists"), train.err);
        assertTrue(System.nanoTime() - startNs < 5_000_000_000L, "refused before any training");
        assertTrue(run("train", "--help").out.replaceAll("\\s+", " ").contains("it must not exist"));
    }

    @Test
    void shouldListBenchInTheTopLevelHelp()
    {
        assertTrue(run("--help").out.contains("bench"));
    }

    @Test
    void shouldRefuseMalformedEvalFile(@TempDir final Path dir) throws Exception
    {
        final Path data = dir.resolve("bad.tsv");
        Files.writeString(data, "text\tintent\taudience\n年假几天\tno_such_intent\t\n", StandardCharsets.UTF_8);
        assertTrue(run("eval", "--data", data.toString()).code != 0);
        assertEquals(2, run("eval", "--data", data.toString(), "--classifier", "bert").code);
    }

    @Test
    void shouldPrintDialogSummaryAsLastLine(@TempDir final Path dir) throws Exception
    {
        final Path data = dir.resolve("dialogs.jsonl");
        Files.writeString(data,
            "{\"id\":\"a\",\"turns\":[{\"text\":\"校招生年假几天?\",\"intent\":\"leave_annual\",\"audience\":\"campus\"},"
                + "{\"text\":\"那病假呢\",\"intent\":\"leave_sick\",\"audience\":\"campus\"}]}\n"
                + "{\"id\":\"b\",\"turns\":[{\"text\":\"试用期多久\",\"intent\":\"probation\",\"audience\":null},"
                + "{\"text\":\"那实习生呢\",\"intent\":\"probation\",\"audience\":\"intern\"},"
                + "{\"text\":\"那实习生呢\",\"intent\":\"salary\",\"audience\":\"intern\"}]}\n",
            StandardCharsets.UTF_8);
        final Run run = run("eval-dialogs", "--data", data.toString(), "--kb", kbDir().toString());
        assertEquals(0, run.code);
        assertEquals("turn_accuracy=0.8000 turns=5 dialogs=2", lastLine(run.out), run.out);
        assertTrue(run.out.contains("miss b turn 3"), run.out);
    }

    @Test
    void shouldPrintATokenThatVerifiesWithTheDevSecret(@TempDir final Path dir) throws Exception
    {
        final Path secretFile = dir.resolve("dev-jwt-secret");
        Files.writeString(secretFile, "a-dev-secret-that-is-long-enough-1234567\n");
        final Run run = run("token", "--sub", "zoe", "--track", "intern", "--ttl", "30m", "--dev-secret-file", secretFile.toString());
        assertEquals(0, run.code);
        final Principal principal = JwtAuthenticator.hmac("a-dev-secret-that-is-long-enough-1234567".getBytes(StandardCharsets.UTF_8),
            System::currentTimeMillis).authenticate(run.out);
        assertEquals("zoe", principal.subject());
        assertEquals("intern", principal.track().id());
        assertTrue(principal.expiresAtEpochMs() - System.currentTimeMillis() <= 30 * 60_000);
        assertEquals(2, run("token", "--sub", "zoe", "--ttl", "soon", "--dev-secret-file", secretFile.toString()).code);
    }

    private static synchronized String stderrOf(final String... args)
    {
        final PrintStream saved = System.err;
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try
        {
            System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
            assertEquals(2, Main.commandLine().execute(args));
        }
        finally
        {
            System.setErr(saved);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldSayHowToStartWithoutASecretAndWithoutDev(@TempDir final Path dir)
    {
        final String err = stderrOf("serve", "--no-model", "--kb", kbDir().toString(), "--port", "0",
            "--dev-secret-file", dir.resolve("dev-jwt-secret").toString());
        assertTrue(err.contains("IVBOT_JWT_SECRET") && err.contains("./ivbot serve --dev"), err);
        assertTrue(!Files.exists(dir.resolve("dev-jwt-secret")), "no dev secret is made without --dev");
    }

    @Test
    void shouldRefuseDevModeOnANonLoopbackAddress()
    {
        final String err = stderrOf("serve", "--dev", "--host", "0.0.0.0", "--no-model", "--kb", kbDir().toString());
        assertTrue(err.contains("--host=0.0.0.0") && err.contains("loopback"), err);
    }

    @Test
    void shouldPrintATokenWithRoles(@TempDir final Path dir) throws Exception
    {
        final Path secretFile = dir.resolve("dev-jwt-secret");
        Files.writeString(secretFile, "a-dev-secret-that-is-long-enough-1234567\n");
        final Run run = run("token", "--sub", "op", "--role", "ops", "--dev-secret-file", secretFile.toString());
        assertEquals(0, run.code);
        final Principal principal = JwtAuthenticator.hmac("a-dev-secret-that-is-long-enough-1234567".getBytes(StandardCharsets.UTF_8),
            System::currentTimeMillis).authenticate(run.out);
        assertTrue(principal.hasRole(Principal.OPS));
    }

    @Test
    void shouldRefuseAnUnknownEventsSink()
    {
        final String err = stderrOf("serve", "--dev", "--events", "carrier-pigeon", "--no-model", "--kb", kbDir().toString());
        assertTrue(err.contains("--events=carrier-pigeon (expected: files, off or kafka://"), err);
        final String noTopic = stderrOf("serve", "--dev", "--events", "kafka://127.0.0.1:9092", "--no-model", "--kb",
            kbDir().toString());
        assertTrue(noTopic.contains("--events=kafka://127.0.0.1:9092 (expected:"), noTopic);
    }

    @Test
    void shouldEvaluateTheServedPathAndWriteItsReport(@TempDir final Path dir) throws Exception
    {
        final Path data = dir.resolve("some.tsv");
        final List<String> dev = Files.readAllLines(TestServer.repoRoot().resolve("models/data/dev.tsv"));
        Files.write(data, dev.subList(0, 41));
        final Path reportDir = dir.resolve("report");
        final Run run = run("eval", "--data", data.toString(), "--classifier", "served", "--report", reportDir.toString(),
            "--model-repository", TestServer.repoRoot().resolve("models/repository/intent").toString());
        assertEquals(0, run.code, run.out);
        assertTrue(lastLine(run.out).startsWith("accuracy="), run.out);
        final com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(reportDir.resolve("report.json").toFile());
        assertEquals("served", json.path("classifier").asText());
        assertEquals(40, json.path("n").asInt());
        final int labels = json.path("labels").size();
        assertEquals(labels, json.path("confusion").size());
        int cells = 0;
        for (final com.fasterxml.jackson.databind.JsonNode row : json.path("confusion"))
        {
            assertEquals(labels, row.size());
            for (final com.fasterxml.jackson.databind.JsonNode cell : row)
            {
                cells += cell.asInt();
            }
        }
        assertEquals(40, cells, "every example in the confusion matrix once");
        final String markdown = Files.readString(reportDir.resolve("report.md"));
        assertTrue(markdown.contains("| intent | precision | recall | F1 | support |"), markdown);
        assertEquals(2, run("eval", "--data", data.toString(), "--classifier", "oracle").code);
    }
}
