package ivbot.mining;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * Reads turns into a DataFrame of {@link #SCHEMA}, from one of three inputs:
 * <ul>
 *   <li>a folder of the server's turn-event files ({@code turns-*.jsonl}, one JSON object per line; unknown fields
 *       are ignored), filtered to {@code timestamp_ms >= now - since};</li>
 *   <li>a TSV of questions, {@code query} or {@code query<TAB>label} (a header {@code text...} or {@code query...}
 *       is skipped): every row is a question to mine, the label (optional) its true intent for scoring;</li>
 *   <li>a ClickHouse HTTP URL {@code http://host:port}: {@code SELECT * FROM ivbot.turns FINAL WHERE time >= now() -
 *       INTERVAL n SECOND FORMAT JSONEachRow}, read over plain HTTP by the driver (ClickHouse 18.16 answers it).</li>
 * </ul>
 * Event inputs have an empty {@code label}. Called on the driver.
 */
public final class TurnInput
{
    /** The columns mining reads; events carry more, which are ignored. */
    public static final StructType SCHEMA = new StructType()
        .add("timestamp_ms", DataTypes.LongType)
        .add("query", DataTypes.StringType)
        .add("normalized_query", DataTypes.StringType)
        .add("intent", DataTypes.StringType)
        .add("confidence", DataTypes.DoubleType)
        .add("margin", DataTypes.DoubleType)
        .add("source", DataTypes.StringType)
        .add("fallback_reason", DataTypes.StringType)
        .add("clarifying", DataTypes.BooleanType)
        .add("unknown", DataTypes.BooleanType)
        .add("label", DataTypes.StringType);

    /**
     * As read: the flags ({@code clarifying}, {@code unknown}: the server's own verdict, absent in older events) as
     * text, since the server writes {@code true}/{@code false} and ClickHouse (a {@code UInt8} column, 18.16 has no
     * Bool) {@code 1}/{@code 0}; a JSON number in a boolean column would drop the row.
     */
    private static final StructType EVENT_SCHEMA = eventSchema();

    private TurnInput()
    {
    }

    private static boolean isFlag(final String column)
    {
        return "clarifying".equals(column) || "unknown".equals(column);
    }

    private static StructType eventSchema()
    {
        StructType schema = new StructType();
        for (final var field : SCHEMA.fields())
        {
            schema = isFlag(field.name()) ? schema.add(field.name(), DataTypes.StringType) : schema.add(field);
        }
        return schema.add("time", DataTypes.StringType);
    }

    /**
     * @param spark          the session.
     * @param input          a folder, a {@code .tsv} file, or an {@code http://} URL.
     * @param sinceMs        how far back to read, milliseconds (events and ClickHouse; a TSV is read whole).
     * @param nowMs          the wall clock, epoch milliseconds.
     * @param clickhouseTable the table for a ClickHouse input, e.g. {@code ivbot.turns}.
     * @return the turns, columns of {@link #SCHEMA}; {@code normalized_query} is filled for every row.
     * @throws IOException when the input cannot be read.
     */
    public static Dataset<Row> read(final SparkSession spark, final String input, final long sinceMs, final long nowMs,
        final String clickhouseTable) throws IOException
    {
        if (sinceMs <= 0)
        {
            throw new IllegalArgumentException("--since=" + sinceMs + "ms (expected: > 0)");
        }
        if (input.startsWith("http://") || input.startsWith("https://"))
        {
            return fromClickHouse(spark, input, sinceMs, clickhouseTable);
        }
        final Path path = Path.of(input);
        if (Files.isDirectory(path))
        {
            return fromEventFolder(spark, path, nowMs - sinceMs);
        }
        if (Files.isRegularFile(path))
        {
            return fromTsv(spark, path);
        }
        throw new IOException("--input " + input + ": neither a folder of turn events, a TSV file nor an http:// URL");
    }

    static Dataset<Row> fromEventFolder(final SparkSession spark, final Path dir, final long fromMs) throws IOException
    {
        final String[] files;
        try (var list = Files.list(dir))
        {
            files = list.filter(f -> f.getFileName().toString().endsWith(".jsonl")).map(Path::toString).sorted()
                .toArray(String[]::new);
        }
        if (files.length == 0)
        {
            throw new IOException("--input " + dir + ": no *.jsonl turn-event files");
        }
        final Dataset<Row> raw = spark.read().schema(EVENT_SCHEMA).option("mode", "DROPMALFORMED").json(files);
        return complete(raw.filter(col("timestamp_ms").geq(lit(fromMs))));
    }

    static Dataset<Row> fromTsv(final SparkSession spark, final Path file) throws IOException
    {
        final List<Row> rows = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            String line;
            boolean first = true;
            while ((line = reader.readLine()) != null)
            {
                final boolean header = first && (line.startsWith("text\t") || line.startsWith("query\t")
                    || line.equals("text") || line.equals("query"));
                first = false;
                if (header || line.isBlank())
                {
                    continue;
                }
                final String[] cols = line.split("\t", -1);
                final String label = cols.length > 1 ? cols[1].strip() : "";
                rows.add(org.apache.spark.sql.RowFactory.create(0L, cols[0], null, "", null, null, "tsv", "", false, false, label));
            }
        }
        return complete(spark.createDataFrame(rows, SCHEMA));
    }

    static Dataset<Row> fromClickHouse(final SparkSession spark, final String url, final long sinceMs, final String table)
        throws IOException
    {
        final String sql = "SELECT * FROM " + table + " FINAL WHERE time >= now() - INTERVAL " + Math.max(1, sinceMs / 1000)
            + " SECOND FORMAT JSONEachRow";
        // 64-bit integers unquoted, so timestamp_ms reads as a number (18.16 quotes them by default)
        final URI uri = URI.create(url.replaceAll("/+$", "") + "/?output_format_json_quote_64bit_integers=0&query="
            + URLEncoder.encode(sql, StandardCharsets.UTF_8));
        final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        final List<String> lines = new ArrayList<>();
        try
        {
            final HttpResponse<java.io.InputStream> response = client.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8)))
            {
                if (response.statusCode() != 200)
                {
                    throw new IOException("--input " + url + ": ClickHouse answered " + response.statusCode() + ": "
                        + reader.readLine());
                }
                String line;
                while ((line = reader.readLine()) != null)
                {
                    if (!line.isBlank())
                    {
                        lines.add(line);
                    }
                }
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("--input " + url + ": interrupted", ex);
        }
        final Dataset<String> json = spark.createDataset(lines, Encoders.STRING());
        return complete(spark.read().schema(EVENT_SCHEMA).option("mode", "DROPMALFORMED").json(json));
    }

    /** Fills the normalized query where an input lacks it, and gives every row a label column. */
    private static Dataset<Row> complete(final Dataset<Row> rows)
    {
        final Column normalized = org.apache.spark.sql.functions.coalesce(
            org.apache.spark.sql.functions.nullif(col("normalized_query"), lit("")),
            Normalize.column(col("query")));
        final Column[] columns = new Column[SCHEMA.fields().length];
        for (int i = 0; i < columns.length; i++)
        {
            final String name = SCHEMA.fields()[i].name();
            columns[i] = "normalized_query".equals(name) ? normalized.as(name)
                : "label".equals(name) ? org.apache.spark.sql.functions.coalesce(col(name), lit("")).as(name)
                : isFlag(name) ? org.apache.spark.sql.functions.lower(col(name).cast(DataTypes.StringType))
                    .isin("true", "1").as(name)
                : col(name);
        }
        return rows.select(columns).filter(col("query").isNotNull());
    }
}
