package ivbot.localstack;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's clickhouse-server from its generated configuration: it answers its ping, stores JSONEachRow inserts
 * (UTF-8 text, DateTime as UTC text), reports a refused statement with the server's error text, and is gone
 * after {@code kill()}.
 */
@Timeout(120)
class ClickHouseProcessTest
{
    @Test
    void shouldStoreJsonEachRowInsertsAndStopOnKill(@TempDir final Path dir) throws Exception
    {
        try (ClickHouseProcess clickHouse = ClickHouseProcess.start(dir.resolve("ch")))
        {
            final ClickHouseHttp http = clickHouse.http();
            assertTrue(http.ping());
            assertTrue(http.query("SELECT version()").startsWith("18."), http.query("SELECT version()"));
            http.query("CREATE DATABASE IF NOT EXISTS t");
            http.query("CREATE TABLE t.rows (id String, time DateTime, day Date, n UInt8) " +
                "ENGINE = ReplacingMergeTree() PARTITION BY day ORDER BY id");
            final byte[] rows = ("{\"id\":\"a\",\"time\":\"2026-12-02 08:00:05\",\"day\":\"2026-12-02\",\"n\":1}\n" +
                "{\"id\":\"校招\",\"time\":\"2026-12-02 08:00:06\",\"day\":\"2026-12-02\",\"n\":0}\n" +
                "{\"id\":\"a\",\"time\":\"2026-12-02 08:00:05\",\"day\":\"2026-12-02\",\"n\":1}\n")
                .getBytes(StandardCharsets.UTF_8);
            http.insertJsonEachRow("t.rows", rows, rows.length);
            assertEquals(3, http.queryLong("SELECT count() FROM t.rows"));
            assertEquals(2, http.queryLong("SELECT count() FROM t.rows FINAL"));
            assertEquals("1796198405", http.query("SELECT toUInt32(time) FROM t.rows WHERE id = 'a' LIMIT 1"));
            assertEquals("校招", http.query("SELECT id FROM t.rows WHERE n = 0"));
            final IOException refused = assertThrows(IOException.class, () -> http.query("SELECT nope FROM t.rows"));
            assertTrue(refused.getMessage().contains("nope"), refused.getMessage());
            clickHouse.kill();
            assertFalse(http.ping());
        }
    }
}
