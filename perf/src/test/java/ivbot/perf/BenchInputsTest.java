package ivbot.perf;

import io.jsonwebtoken.Claims;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The harness's inputs: durations, query files, Zipf draws, sessions per user, tokens, reply parsing.
 */
class BenchInputsTest
{
    private static final String SECRET = "bench-test-secret-0123456789abcdef";

    @Test
    void shouldParseDurationsWithUnits()
    {
        assertEquals(25_000_000L, Durations.parseNs("--p99", "25ms"));
        assertEquals(30_000_000_000L, Durations.parseNs("--duration", "30s"));
        assertEquals(1_500_000_000L, Durations.parseNs("--duration", "1.5s"));
        assertEquals(120_000_000_000L, Durations.parseNs("--duration", "2m"));
        assertEquals(250_000L, Durations.parseNs("--p99", "250us"));
        assertEquals(7_000_000_000L, Durations.parseNs("--duration", "7"));
        assertEquals("30s", Durations.format(30_000_000_000L));
        assertEquals("25ms", Durations.format(25_000_000L));
        final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
            () -> Durations.parseNs("--duration", "10 parsecs"));
        assertTrue(bad.getMessage().startsWith("--duration=10 parsecs"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Durations.parseNs("--warmup", "-1s"));
    }

    @Test
    void shouldReadFirstColumnOfTsvAndPlainLines(@TempDir final Path dir) throws IOException
    {
        final Path tsv = dir.resolve("q.tsv");
        Files.writeString(tsv, "text\tintent\taudience\n校招年假几天\tleave_annual\tcampus\n\n那病假呢\tleave_sick\t\n",
            StandardCharsets.UTF_8);
        assertEquals(List.of("校招年假几天", "那病假呢"), QueryFile.load(tsv));

        final Path plain = dir.resolve("q.txt");
        Files.writeString(plain, "hi\n公积金比例多少\n", StandardCharsets.UTF_8);
        assertEquals(List.of("hi", "公积金比例多少"), QueryFile.load(plain));

        final Path empty = dir.resolve("empty.tsv");
        Files.writeString(empty, "text\tintent\taudience\n", StandardCharsets.UTF_8);
        assertThrows(IllegalArgumentException.class, () -> QueryFile.load(empty));
    }

    @Test
    void shouldReadTheRepositoryDevSet() throws IOException
    {
        final Path dev = repoRoot().resolve("models/data/dev.tsv");
        final List<String> queries = QueryFile.load(dev);
        assertEquals(Files.readAllLines(dev).stream().skip(1).filter(l -> !l.isBlank()).count(), queries.size());
        assertTrue(queries.stream().noneMatch(q -> q.contains("\t")));
    }

    @Test
    void shouldDrawUniformlyAtZeroAndSkewedByZipf()
    {
        final SplittableRandom random = new SplittableRandom(42);
        final int[] uniform = new int[10];
        final ZipfSampler flat = new ZipfSampler(10, 0);
        for (int i = 0; i < 100_000; i++)
        {
            uniform[flat.next(random)]++;
        }
        for (final int count : uniform)
        {
            assertTrue(count > 9_000 && count < 11_000, "uniform count " + count);
        }

        final int[] skewed = new int[100];
        final ZipfSampler zipf = new ZipfSampler(100, 1.0);
        for (int i = 0; i < 100_000; i++)
        {
            skewed[zipf.next(random)]++;
        }
        // H(100) ~ 5.187: rank 1 gets ~19.3%, rank 2 half of that
        assertTrue(skewed[0] > 18_000 && skewed[0] < 20_600, "rank 1 count " + skewed[0]);
        assertEquals(2.0, (double)skewed[0] / skewed[1], 0.15);
        assertTrue(skewed[99] > 0);
        assertThrows(IllegalArgumentException.class, () -> new ZipfSampler(10, -1));
    }

    @Test
    void shouldStartNewSessionEveryNTurnsAndIgnoreStaleReplies()
    {
        final UserSessions sessions = new UserSessions(2, 3);
        assertEquals("", sessions.nextTurn(0));
        final int first = sessions.generation(0);
        sessions.onReply(0, first, "a");
        assertEquals("a", sessions.nextTurn(0));
        assertEquals("a", sessions.nextTurn(0));
        assertEquals("", sessions.nextTurn(0), "turn 4 starts a new session");
        sessions.onReply(0, first, "a-late");
        assertEquals("", sessions.nextTurn(0), "a reply of the old session does not bring it back");
        sessions.onReply(0, sessions.generation(0), "b");
        assertEquals("b", sessions.nextTurn(0));
        assertEquals("", sessions.nextTurn(1), "users are independent");

        final UserSessions forever = new UserSessions(1, 0);
        forever.nextTurn(0);
        forever.onReply(0, forever.generation(0), "c");
        for (int i = 0; i < 100; i++)
        {
            assertEquals("c", forever.nextTurn(0));
        }
    }

    @Test
    void shouldPreferExplicitTokenThenEnvironmentThenDevSecretFile(@TempDir final Path dir) throws IOException
    {
        final long now = System.currentTimeMillis();
        assertEquals("given", BenchTokens.resolve("given", null, name -> SECRET, 60_000, now));

        final String fromEnv = BenchTokens.resolve(null, null,
            name -> BenchTokens.SECRET_ENV.equals(name) ? SECRET : null, 60_000, now);
        assertEquals("bench", verify(fromEnv, SECRET).getSubject());

        final Path state = dir.resolve("state");
        Files.createDirectories(state);
        final String fileSecret = "file-secret-0123456789abcdefghijklmnop";
        Files.writeString(state.resolve("dev-jwt-secret"), fileSecret + "\n", StandardCharsets.UTF_8);
        final String fromFile = BenchTokens.resolve(null, null,
            name -> BenchTokens.STATE_DIR_ENV.equals(name) ? state.toString() : null, 60_000, now);
        final Claims claims = verify(fromFile, fileSecret);
        assertEquals("bench", claims.getSubject());
        assertTrue(claims.getExpiration().getTime() > now);

        final IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
            () -> BenchTokens.resolve(null, dir.resolve("missing"), name -> null, 60_000, now));
        assertTrue(none.getMessage().contains(BenchTokens.SECRET_ENV), none.getMessage());
        assertThrows(IllegalArgumentException.class,
            () -> BenchTokens.resolve(null, null, name -> BenchTokens.SECRET_ENV.equals(name) ? "short" : null, 60_000, now));
    }

    private static Claims verify(final String token, final String secret)
    {
        return Jwts.parser().verifyWith(Keys.hmacShaKeyFor(secret.getBytes(StandardCharsets.UTF_8))).build()
            .parseSignedClaims(token).getPayload();
    }

    @Test
    void shouldReadReplyAndErrorBodies()
    {
        final JsonReplyReader.Reply reply = read("{\"session_id\":\"s1\",\"answer\":\"a\",\"audience\":null,"
            + "\"confidence\":0.5,\"source\":\"rules\",\"extra\":{\"x\":[1,2]},\"fallback_reason\":\"deadline\",\"turn\":2}");
        assertEquals(new JsonReplyReader.Reply("s1", "rules", "deadline", ""), reply);
        assertEquals("unauthorized", read("{\"error\":{\"code\":\"unauthorized\",\"message\":\"token expired\"}}").errorCode());
        assertSame(JsonReplyReader.UNREADABLE, read("not json"));
        assertSame(JsonReplyReader.UNREADABLE, read("[1]"));
    }

    private static JsonReplyReader.Reply read(final String json)
    {
        final ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try
        {
            final JsonReplyReader.Reply reply = JsonReplyReader.read(buf);
            assertEquals(0, buf.readerIndex(), "the reader index is left alone");
            return reply;
        }
        finally
        {
            buf.release();
        }
    }

    @Test
    void shouldRejectSettingsOutOfRangeNamingThem()
    {
        final BenchConfig both = new BenchConfig();
        both.rate = 10;
        both.concurrency = 2;
        assertTrue(assertThrows(IllegalArgumentException.class, both::conclude).getMessage().startsWith("--rate="));

        final BenchConfig url = new BenchConfig();
        url.rate = 10;
        url.url = "ftp://x";
        assertTrue(assertThrows(IllegalArgumentException.class, url::conclude).getMessage().startsWith("--url=ftp://x"));

        final BenchConfig users = new BenchConfig();
        users.rate = 10;
        users.connections = 8;
        users.users = 4;
        assertTrue(assertThrows(IllegalArgumentException.class, users::conclude).getMessage().startsWith("--users=4"));

        final BenchConfig ok = new BenchConfig();
        ok.concurrency = 4;
        ok.url = "http://127.0.0.1:18181";
        ok.conclude();
        assertEquals(Map.of("host", "127.0.0.1", "port", 18181), Map.of("host", ok.host, "port", ok.port));
    }

    static Path repoRoot()
    {
        final String configured = System.getProperty("ivbot.repo.root");
        Path dir = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("models/data/dev.tsv")))
        {
            dir = dir.getParent();
        }
        if (dir == null)
        {
            throw new IllegalStateException("repository root with models/data/dev.tsv not found");
        }
        return dir;
    }
}
