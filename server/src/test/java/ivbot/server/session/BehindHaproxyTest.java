package ivbot.server.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.server.RawHttp;
import ivbot.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ivbot behind a real reverse proxy, HAProxy from Debian's package, started on loopback by the test: the
 * {@code Expect} smuggle cannot carry a request past the proxy's path rules, and the deployment the README
 * describes for more than one machine holds: two ivbot processes behind HAProxy (round robin) on one Redis, or
 * one Redis Cluster, keep a conversation whose turns alternate between them, and when one is killed
 * mid-conversation the other answers the next turn with its context.
 */
@Timeout(180)
class BehindHaproxyTest
{
    private static final String HAPROXY = "/usr/sbin/haproxy";
    private static final String SECRET = "ivbot-haproxy-test-secret-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One haproxy process in the foreground, killed on close.
     */
    private static final class Haproxy implements AutoCloseable
    {
        final int port = RedisProcesses.freePort();
        final Process process;

        Haproxy(final Path dir, final List<Integer> backends, final String extraDefaults, final String extraFrontend)
            throws Exception
        {
            assertTrue(Files.isExecutable(Path.of(HAPROXY)), "these tests need HAProxy: apt-get install haproxy (.ci/run does)");
            final StringBuilder config = new StringBuilder()
                .append("global\n  maxconn 512\n")
                .append("defaults\n  mode http\n  timeout connect 1s\n  timeout client 20s\n  timeout server 20s\n")
                .append(extraDefaults)
                .append("frontend fe\n  bind 127.0.0.1:").append(port).append('\n')
                .append(extraFrontend)
                .append("  default_backend ivbot\n")
                .append("backend ivbot\n  balance roundrobin\n  http-reuse always\n")
                .append("  http-response set-header X-Ivbot-Server %s\n");
            for (int i = 0; i < backends.size(); i++)
            {
                config.append("  server s").append(i).append(" 127.0.0.1:").append(backends.get(i))
                    .append(" check inter 200 fall 1 rise 1\n");
            }
            final Path file = dir.resolve("haproxy.cfg");
            Files.writeString(file, config.toString());
            process = new ProcessBuilder(HAPROXY, "-db", "-f", file.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
            RedisProcesses.await(() -> listening(port), Duration.ofSeconds(10), "haproxy on " + port);
        }

        @Override
        public void close()
        {
            process.destroyForcibly();
        }
    }

    private static boolean listening(final int port)
    {
        try (Socket ignored = new Socket("127.0.0.1", port))
        {
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    @Test
    void shouldNotLetAnExpectBodySmuggleARequestPastTheProxysRules(@TempDir final Path dir) throws Exception
    {
        try (TestServer server = TestServer.start();
             Haproxy proxy = new Haproxy(dir, List.of(server.port()), "",
                 "  http-request deny if { path_beg /v1/sessions }\n"))
        {
            final String token = TestServer.token("smuggler");
            final String[] first = RawHttp.chat(proxy.port, token, "{\"query\":\"年假几天\"}");
            assertTrue(first[0].startsWith("HTTP/1.1 200"), first[0]);
            final String id = JSON.readTree(first[1]).path("session_id").asText();
            final String delete = "DELETE /v1/sessions/" + id + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n";
            assertTrue(RawHttp.exchange(proxy.port, delete)[0].startsWith("HTTP/1.1 403"), "the proxy's rule holds for a plain request");

            final ByteArrayOutputStream attack = new ByteArrayOutputStream();
            attack.write(("POST /v1/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20000\r\n" +
                "Expect: 100-continue\r\n\r\n" + delete).getBytes(StandardCharsets.US_ASCII));
            attack.write(new byte[20000 - delete.length()]);
            try (Socket socket = new Socket("127.0.0.1", proxy.port))
            {
                socket.setSoTimeout(3_000);
                socket.getOutputStream().write(attack.toByteArray());
                final String answer = readUntilQuiet(socket);
                assertFalse(answer.contains("\"deleted\""), "the smuggled DELETE ran:\n" + answer);
            }
            // the session is still there: its owner's next turn continues it (asked of ivbot directly)
            final JsonNode next = JSON.readTree(RawHttp.chat(server.port(), token,
                "{\"session_id\":\"" + id + "\",\"query\":\"那病假呢\"}")[1]);
            assertEquals(2, next.path("turn").asInt(), next.toString());
        }
    }

    private static String readUntilQuiet(final Socket socket) throws IOException
    {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        final byte[] buffer = new byte[8192];
        try
        {
            int n;
            while ((n = socket.getInputStream().read(buffer)) > 0)
            {
                all.write(buffer, 0, n);
            }
        }
        catch (final SocketTimeoutException | SocketException quietOrReset)
        {
            // what arrived is what counts
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    /**
     * {@code ./ivbot serve} as a child process of the test's JVM, on Redis, with the rules only.
     */
    private static Process ivbot(final Path dir, final String name, final int port, final String redis) throws IOException
    {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), "ivbot.server.cli.Main", "serve",
            "--host", "127.0.0.1", "--port", Integer.toString(port), "--io-threads", "1", "--no-model",
            "--redis", redis, "--kb", TestServer.repoRoot().resolve("models/kb").toString(), "--kb-poll-ms", "0",
            "--catalog", TestServer.repoRoot().resolve("models/catalog.json").toString(),
            "--trusted-proxy", "127.0.0.1")
            .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        builder.environment().put("IVBOT_JWT_SECRET", SECRET);
        builder.environment().put("IVBOT_STATE_DIR", dir.resolve(name).toString());
        return builder.start();
    }

    private static boolean ready(final int port)
    {
        try
        {
            return RawHttp.exchange(port, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")[0].startsWith("HTTP/1.1 200");
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private void converseAcrossTwoInstances(final Path dir, final String redis) throws Exception
    {
        final int portA = RedisProcesses.freePort();
        final int portB = RedisProcesses.freePort();
        final List<Process> servers = new ArrayList<>();
        try
        {
            servers.add(ivbot(dir, "a", portA, redis));
            servers.add(ivbot(dir, "b", portB, redis));
            RedisProcesses.await(() -> ready(portA) && ready(portB), Duration.ofSeconds(60), "two ivbot processes ready");
            // a retried POST needs its body buffered; retry a refused connection on the other server
            try (Haproxy proxy = new Haproxy(dir, List.of(portA, portB),
                "  option http-buffer-request\n  retries 3\n  option redispatch 1\n  retry-on conn-failure empty-response\n", ""))
            {
                final String token = new ivbot.server.auth.TokenIssuer(SECRET.getBytes(StandardCharsets.UTF_8))
                    .issue("behind-proxy-" + System.nanoTime(), null, Duration.ofMinutes(10), System.currentTimeMillis());
                final String[][] script = {
                    {"校招生年假几天?", "leave_annual", "campus"},
                    {"那病假呢", "leave_sick", "campus"},
                    {"社招的呢", "leave_sick", "experienced"},
                    {"婚假呢", "leave_marriage", "experienced"},
                    {"那实习生呢", "leave_marriage", "intern"},
                    {"那产假呢", "leave_parental", "intern"},
                };
                String sessionId = null;
                final Set<String> answeredBy = new HashSet<>();
                for (int turn = 1; turn <= script.length; turn++)
                {
                    if (turn == 4)
                    {
                        // mid-conversation, one instance dies without a word (SIGKILL)
                        assertEquals(2, answeredBy.size(), "round robin used both instances: " + answeredBy);
                        servers.get(0).destroyForcibly().waitFor();
                    }
                    final String body = sessionId == null ? "{\"query\":\"" + script[turn - 1][0] + "\"}" :
                        "{\"session_id\":\"" + sessionId + "\",\"query\":\"" + script[turn - 1][0] + "\"}";
                    final String[] response = RawHttp.chat(proxy.port, token, body);
                    assertTrue(response[0].startsWith("HTTP/1.1 200"), "turn " + turn + ": " + response[0] + response[1]);
                    final JsonNode reply = JSON.readTree(response[1]);
                    sessionId = reply.path("session_id").asText();
                    assertEquals(turn, reply.path("turn").asInt(), "turn " + turn + " lost nothing: " + reply);
                    assertEquals(script[turn - 1][1], reply.path("intent").asText(), "turn " + turn + ": " + reply);
                    assertEquals(script[turn - 1][2], reply.path("audience").asText(), "turn " + turn + ": " + reply);
                    assertFalse(reply.path("context_lost").asBoolean(), reply.toString());
                    final String server = response[0].lines()
                        .filter(l -> l.toLowerCase(Locale.ROOT).startsWith("x-ivbot-server:"))
                        .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("?");
                    answeredBy.add(turn < 4 ? server : "after-kill:" + server);
                }
                assertEquals(Set.of("after-kill:s1"), answeredBy.stream().filter(s -> s.startsWith("after-kill"))
                    .collect(Collectors.toSet()), "after the kill, the survivor answers every turn");
            }
        }
        finally
        {
            for (final Process p : servers)
            {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void shouldKeepAConversationAcrossTwoInstancesOnOneRedisWhenOneIsKilled(@TempDir final Path dir) throws Exception
    {
        try (RedisProcesses redis = new RedisProcesses())
        {
            final RedisProcesses.Node node = redis.server();
            converseAcrossTwoInstances(dir, "redis://" + node.address());
        }
    }

    @Test
    void shouldKeepAConversationAcrossTwoInstancesOnARedisClusterWhenOneIsKilled(@TempDir final Path dir) throws Exception
    {
        try (RedisProcesses redis = new RedisProcesses())
        {
            final List<RedisProcesses.Node> masters = RedisProcesses.clusterMasters(redis.cluster(3, 2000));
            converseAcrossTwoInstances(dir, "redis-cluster://" + masters.stream().map(RedisProcesses.Node::address)
                .collect(Collectors.joining(",")));
        }
    }
}
