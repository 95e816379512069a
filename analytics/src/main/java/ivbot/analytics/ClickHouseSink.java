package ivbot.analytics;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import ivbot.localstack.ClickHouseHttp;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A Flink Sink V2 into one ClickHouse table over HTTP, {@code INSERT ... FORMAT JSONEachRow}, at least once.
 * <p>
 * The writer appends each row to a batch and INSERTs the batch when it holds {@code maxRows} rows, and on
 * {@link SinkWriter#flush(boolean)}, which Flink calls before it takes a checkpoint's barrier downstream
 * ({@code prepareSnapshotPreBarrier}) and at the end of input. A checkpoint therefore completes only after every
 * row before its barrier is stored; after a failure the job restarts from that checkpoint and the source replays
 * what came after it, so rows may be inserted twice but never lost. The tables are ReplacingMergeTree keyed by
 * the row's identity (event id; window and key), so a duplicate collapses in merges and in any query with
 * {@code FINAL}: at least once into ReplacingMergeTree = effectively once for queries with FINAL.
 * <p>
 * A failed INSERT is retried ({@value #ATTEMPTS} attempts, 1 s apart; a refused batch is not partly stored); then
 * the writer throws, the task fails, and Flink's restart strategy takes over. Each writer is used by its task's
 * thread only.
 *
 * @param <T> the row type.
 */
final class ClickHouseSink<T> implements Sink<T>
{
    private static final long serialVersionUID = 1L;
    private static final int ATTEMPTS = 5;
    private static final Duration RETRY_DELAY = Duration.ofSeconds(1);

    /** Writes one row as a JSON object, the columns of the table. Serializable: it travels with the job. */
    interface RowFormat<T> extends Serializable
    {
        void write(final T row, final JsonGenerator gen) throws IOException;
    }

    /** Runs on the writer's thread when it starts and then at each flush; for the retention of old days. */
    interface Maintenance extends Serializable
    {
        void run(final ClickHouseHttp http, final long nowMs) throws IOException;
    }

    private final String url;
    private final String table;
    private final RowFormat<T> format;
    private final int maxRows;
    private final Maintenance maintenance;

    /**
     * @param url         the HTTP interface, {@code http://host:port}.
     * @param table       {@code database.table}.
     * @param format      a row's JSON.
     * @param maxRows     at most this many rows in one batch.
     * @param maintenance run by the writer at start and at each flush, or null.
     */
    ClickHouseSink(final String url, final String table, final RowFormat<T> format, final int maxRows,
        final Maintenance maintenance)
    {
        if (maxRows <= 0)
        {
            throw new IllegalArgumentException("maxRows=" + maxRows + " (expected: > 0)");
        }
        ClickHouseHttp.baseUri(url);
        this.url = url;
        this.table = table;
        this.format = format;
        this.maxRows = maxRows;
        this.maintenance = maintenance;
    }

    @Override
    public SinkWriter<T> createWriter(final WriterInitContext context) throws IOException
    {
        final Writer<T> writer = new Writer<>(new ClickHouseHttp(url, Duration.ofSeconds(60)), table, format, maxRows,
            maintenance);
        writer.maintain();
        return writer;
    }

    private static final class Writer<T> implements SinkWriter<T>
    {
        private static final Logger LOG = LoggerFactory.getLogger(ClickHouseSink.class);
        private static final JsonFactory JSON = new JsonFactory();

        private final ClickHouseHttp http;
        private final String table;
        private final RowFormat<T> format;
        private final int maxRows;
        private final Maintenance maintenance;
        private final ByteArrayOutputStream batch = new ByteArrayOutputStream(1 << 16);
        private int rows;

        Writer(final ClickHouseHttp http, final String table, final RowFormat<T> format, final int maxRows,
            final Maintenance maintenance)
        {
            this.http = http;
            this.table = table;
            this.format = format;
            this.maxRows = maxRows;
            this.maintenance = maintenance;
        }

        @Override
        public void write(final T element, final Context context) throws IOException, InterruptedException
        {
            try (JsonGenerator gen = JSON.createGenerator(batch, JsonEncoding.UTF8))
            {
                format.write(element, gen);
            }
            batch.write('\n');
            if (++rows >= maxRows)
            {
                insert();
            }
        }

        @Override
        public void flush(final boolean endOfInput) throws IOException, InterruptedException
        {
            insert();
            maintain();
        }

        void maintain() throws IOException
        {
            if (maintenance != null)
            {
                maintenance.run(http, System.currentTimeMillis());
            }
        }

        private void insert() throws IOException, InterruptedException
        {
            if (rows == 0)
            {
                return;
            }
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    http.insertJsonEachRow(table, batch.toByteArray(), batch.size());
                    break;
                }
                catch (final IOException ex)
                {
                    if (attempt == ATTEMPTS)
                    {
                        throw new IOException(rows + " rows not inserted into " + table + " after " + attempt +
                            " attempts", ex);
                    }
                    LOG.warn("INSERT of {} rows into {} failed (attempt {} of {}), retrying: {}", rows, table, attempt,
                        ATTEMPTS, ex.getMessage());
                    LockSupport.parkNanos(RETRY_DELAY.toNanos());
                    if (Thread.interrupted())
                    {
                        throw new InterruptedException("while retrying an INSERT into " + table);
                    }
                }
            }
            batch.reset();
            rows = 0;
        }

        @Override
        public void close()
        {
            // rows not yet flushed belong to no completed checkpoint: the restart replays them
            batch.reset();
            rows = 0;
        }
    }
}
