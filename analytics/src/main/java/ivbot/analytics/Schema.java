package ivbot.analytics;

import ivbot.localstack.ClickHouseHttp;

import java.io.IOException;
import java.util.List;

/**
 * The ClickHouse tables of the job (ClickHouse 18.16: no DateTime64, so ms stay in a UInt64 beside a DateTime of
 * seconds; no table TTL, so {@link Retention} drops old day partitions instead).
 * <pre>
 *   DATABASE.turns    one row per turn event, ReplacingMergeTree() PARTITION BY day ORDER BY event_id:
 *                     duplicates of an event (at-least-once delivery) collapse; count with FINAL
 *   DATABASE.windows  one row per 5 s event-time window and (intent, model_version),
 *                     ReplacingMergeTree(emitted_ms) PARTITION BY day ORDER BY (window_start, intent, model_version):
 *                     a late event re-emits its window's whole row, the newest emitted_ms wins; query with FINAL
 * </pre>
 * {@code time}, {@code day} and {@code window_start} are UTC (the server's time zone as ClickHouseProcess
 * configures it; a server in another zone shows them in its zone).
 */
public final class Schema
{
    /** The database the operator panel reads. */
    public static final String DEFAULT_DATABASE = "ivbot";

    private Schema()
    {
    }

    /**
     * @param database the database.
     * @return the statements that create it and its tables, if missing.
     */
    public static List<String> statements(final String database)
    {
        return List.of(
            "CREATE DATABASE IF NOT EXISTS " + database,
            "CREATE TABLE IF NOT EXISTS " + database + ".turns (" +
                "event_id String, timestamp_ms UInt64, time DateTime, day Date, session_id String, user_hash String, " +
                "turn UInt32, query String, normalized_query String, intent String, audience String, " +
                "confidence Float32, margin Float32, source String, fallback_reason String, model_version String, " +
                "cohort String, latency_ms Float32, context_lost UInt8, clarifying UInt8, unknown UInt8, " +
                "decide_ms Float32, session_write_ms Float32) " +
                "ENGINE = ReplacingMergeTree() PARTITION BY day ORDER BY event_id",
            "CREATE TABLE IF NOT EXISTS " + database + ".windows (" +
                "window_start DateTime, day Date, intent String, model_version String, turns UInt64, " +
                "latency_mean_ms Float64, latency_p99_ms Float64, fallback_share Float64, " +
                "low_confidence_share Float64, clarifying_share Float64, emitted_ms UInt64) " +
                "ENGINE = ReplacingMergeTree(emitted_ms) PARTITION BY day ORDER BY (window_start, intent, model_version)");
    }

    /**
     * Creates the database and tables where missing.
     *
     * @param http     the server.
     * @param database the database.
     * @throws IOException when a statement fails.
     */
    public static void create(final ClickHouseHttp http, final String database) throws IOException
    {
        for (final String sql : statements(database))
        {
            http.query(sql);
        }
    }
}
