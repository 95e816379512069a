package ivbot.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.server.auth.Principal;
import ivbot.server.auth.TokenIssuer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ivbot serve} as the process a user starts, with its own wiring (not a test's): the operator figures
 * behind {@code /v1/ops/stats} come from the real reporter, the knowledge-base poller picks up an edit, the
 * model-repository poller installs a new version through its gate, and SIGTERM shuts down with its one line.
 */
@Timeout(180)
class ServeProcessTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    private static void await(final BooleanSupplier condition, final String what)
    {
        // each check is a request, and serve keeps its default rate limit of 10 a second per user
        Await.until(condition, Duration.ofSeconds(60), Duration.ofMillis(100), what);
    }

    private static void copyDir(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (Files.isRegularFile(file))
                {
                    Files.copy(file, to.resolve(file.getFileName()));
                }
            }
        }
    }

    /** Installs the shipped head package (the oldest, which the encoder jar serves) as {@code version}. */
    private static void install(final Path repository, final String version) throws IOException
    {
        final Path staging = repository.resolve("." + version);
        copyDir(TestServer.repoRoot().resolve("models/repository/intent/20261125-1"), staging);
        Files.move(staging, repository.resolve(version));
    }

    private static boolean answers(final int port, final String path)
    {
        try
        {
            return RawHttp.exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")[0].startsWith("HTTP/1.1 200");
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static JsonNode get(final int port, final String path, final String token) throws IOException
    {
        final String[] response = RawHttp.exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
            token + "\r\n\r\n");
        assertTrue(response[0].startsWith("HTTP/1.1 200"), response[0] + response[1]);
        return JSON.readTree(response[1]);
    }

    @Test
    void shouldServeWithItsOwnWiringReloadAndShutDownOnSigterm(@TempDir final Path dir) throws Exception
    {
        final Path state = dir.resolve("state");
        final Path kb = dir.resolve("kb");
        final Path repository = dir.resolve("repository");
        copyDir(TestServer.repoRoot().resolve("models/kb"), kb);
        Files.createDirectories(repository);
        install(repository, "20260101-1");
        final int port = freePort();
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final ProcessBuilder builder = new ProcessBuilder(java, "-Xmx512m",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Dai.djl.offline=true",
            "-cp", System.getProperty("java.class.path"), "ivbot.server.cli.Main", "serve", "--dev",
            "--port", Integer.toString(port), "--io-threads", "1", "--device", "cpu",
            "--kb", kb.toString(), "--kb-poll-ms", "200",
            "--model-repository", repository.toString(), "--model-poll-ms", "300",
            "--gate-data", TestServer.repoRoot().resolve("models/data/dev.tsv").toString(),
            "--catalog", TestServer.repoRoot().resolve("models/catalog.json").toString(),
            "--metrics-interval-ms", "200",
            // canary releases on, with a soak that is over at once: a new version serves its cohort, then is promoted
            "--canary", "on", "--canary-soak-s", "0", "--canary-min-turns", "0",
            // a short warm-up through the model path before the port opens
            "--warmup-turns", "200")
            .redirectErrorStream(true).redirectOutput(dir.resolve("serve.log").toFile());
        builder.environment().put("IVBOT_STATE_DIR", state.toString());
        builder.environment().remove("IVBOT_JWT_SECRET");
        final Process serve = builder.start();
        try
        {
            await(() -> answers(port, "/readyz") || !serve.isAlive(), "serve to be ready");
            assertTrue(serve.isAlive(), "serve exited: " + Files.readString(dir.resolve("serve.log")));
            final byte[] secret = Files.readAllBytes(state.resolve("dev-jwt-secret"));
            final TokenIssuer issuer = new TokenIssuer(new String(secret, StandardCharsets.UTF_8).strip()
                .getBytes(StandardCharsets.UTF_8));
            final String operator = issuer.issue("operator", null, List.of(Principal.OPS), Duration.ofHours(1),
                System.currentTimeMillis());
            final String candidate = issuer.issue("candidate", null, Duration.ofHours(1), System.currentTimeMillis());

            // the operator figures come from the real reporter: the model in service and the replies counted
            final String[] reply = RawHttp.chat(port, candidate, "{\"query\":\"校招生年假几天?\"}");
            assertTrue(reply[0].startsWith("HTTP/1.1 200"), reply[0] + reply[1]);
            await(() ->
            {
                try
                {
                    final JsonNode stats = get(port, "/v1/ops/stats", operator);
                    return "20260101-1".equals(stats.at("/model/version").asText()) && stats.path("requests_total").asLong() >= 1;
                }
                catch (final IOException ex)
                {
                    return false;
                }
            }, "/v1/ops/stats to show the model and the reply");

            // a knowledge-base edit is picked up by the poller
            final Path annual = kb.resolve("leave_annual.json");
            final JsonNode entry = JSON.readTree(annual.toFile());
            ((com.fasterxml.jackson.databind.node.ObjectNode)entry.path("answers")).put("campus", "测试标记:校招年假十天。");
            Files.writeString(annual, JSON.writeValueAsString(entry));
            await(() ->
            {
                try
                {
                    return RawHttp.chat(port, candidate, "{\"query\":\"校招生年假几天?\"}")[1].contains("测试标记");
                }
                catch (final IOException ex)
                {
                    return false;
                }
            }, "the edited answer");

            // a new version in the repository passes the gate, serves as the candidate, and is promoted after its soak
            install(repository, "20260101-2");
            await(() ->
            {
                try
                {
                    return "20260101-2".equals(get(port, "/v1/ops/stats", operator).at("/model/version").asText());
                }
                catch (final IOException ex)
                {
                    return false;
                }
            }, "the new model version in service");
            final String admin = issuer.issue("release-manager", null, List.of(Principal.ADMIN), Duration.ofHours(1),
                System.currentTimeMillis());
            final JsonNode release = get(port, "/v1/admin/model", admin);
            assertEquals("promoted", release.at("/last/action").asText(), release.toString());
            assertEquals("20260101-2", release.at("/last/version").asText(), release.toString());
            assertEquals("20260101-2", release.path("stable").asText(), release.toString());
        }
        finally
        {
            serve.destroy();
            assertTrue(serve.waitFor(30, TimeUnit.SECONDS), "serve stops on SIGTERM");
        }
        final String log = Files.readString(dir.resolve("serve.log"));
        assertTrue(log.contains("shutdown: waited"), "one line says what the shutdown waited for:\n" + log);
        assertTrue(log.contains("warmed up the serving path with 200 HTTP turns"), "the warm-up ran before the port opened:\n" + log);
        assertEquals(143, serve.exitValue(), "exited by SIGTERM after its shutdown hook");
    }
}
