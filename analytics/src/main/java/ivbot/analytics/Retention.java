package ivbot.analytics;

import ivbot.localstack.ClickHouseHttp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Retention instead of a table TTL (ClickHouse 18.16 has none; TTL came in 19.6): every day partition of
 * {@code turns} and {@code windows} older than {@code days} days (UTC) is dropped with
 * {@code ALTER TABLE ... DROP PARTITION}. The job runs it when its windows sink starts and then once a day
 * (checked at each checkpoint's flush). Dropping a partition is cheap (its folder goes) and idempotent.
 */
public final class Retention implements ClickHouseSink.Maintenance
{
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);
    private static final long PERIOD_MS = TimeUnit.DAYS.toMillis(1);

    private final String database;
    private final int days;
    private long lastRunMs = Long.MIN_VALUE;

    /**
     * @param database the database of the tables.
     * @param days     days kept: partitions whose day is before today (UTC) minus this many days are dropped.
     */
    public Retention(final String database, final int days)
    {
        if (days <= 0)
        {
            throw new IllegalArgumentException("retention-days=" + days + " (expected: > 0)");
        }
        this.database = database;
        this.days = days;
    }

    @Override
    public void run(final ClickHouseHttp http, final long nowMs) throws IOException
    {
        if (lastRunMs != Long.MIN_VALUE && nowMs - lastRunMs < PERIOD_MS)
        {
            return;
        }
        lastRunMs = nowMs;
        final LocalDate oldestKept = LocalDate.ofEpochDay(Math.floorDiv(nowMs, TimeUnit.DAYS.toMillis(1))).minusDays(days);
        for (final String table : List.of("turns", "windows"))
        {
            for (final String day : dropOlderThan(http, table, oldestKept))
            {
                LOG.info("retention ({} days): dropped partition {} of {}.{}", days, day, database, table);
            }
        }
    }

    /**
     * @return the days dropped from {@code table}.
     */
    List<String> dropOlderThan(final ClickHouseHttp http, final String table, final LocalDate oldestKept)
        throws IOException
    {
        final String partitions = http.query("SELECT DISTINCT partition FROM system.parts WHERE database = '" +
            database + "' AND table = '" + table + "' AND active");
        final List<String> dropped = new ArrayList<>();
        for (final String line : partitions.split("\n"))
        {
            // a Date partition key shows as '2026-10-01' (with the quotes) in 18.16, without them in newer versions
            final String day = line.trim().replace("'", "");
            if (day.isEmpty())
            {
                continue;
            }
            if (LocalDate.parse(day).isBefore(oldestKept))
            {
                http.query("ALTER TABLE " + database + "." + table + " DROP PARTITION '" + day + "'");
                dropped.add(day);
            }
        }
        return dropped;
    }
}
