package ivbot.localstack;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A minimal client of ClickHouse's HTTP interface ({@code POST /?query=...}), the part that every version
 * since 1.1 understands, ClickHouse 18.16 included: a statement in the body, or an {@code INSERT ... FORMAT
 * JSONEachRow} in the URL with the rows, one JSON object per line, in the body. No session, no compression, no
 * settings in the URL. Thread-safe ({@link HttpClient} is).
 * <pre>
 *   POST /?query=INSERT%20INTO%20ivbot.turns%20FORMAT%20JSONEachRow HTTP/1.1
 *
 *   {"event_id":"e1","timestamp_ms":1764662400000,...}\n
 *   {"event_id":"e2","timestamp_ms":1764662400007,...}\n
 * </pre>
 */
public final class ClickHouseHttp
{
    private final URI base;
    private final HttpClient client;
    private final Duration timeout;

    /**
     * @param baseUrl the HTTP interface, {@code http://host:port}.
     * @param timeout how long one request may take.
     */
    public ClickHouseHttp(final String baseUrl, final Duration timeout)
    {
        this.base = baseUri(baseUrl);
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    }

    /**
     * @param baseUrl the HTTP interface, {@code http://host:port}.
     * @return it, with a trailing slash.
     * @throws IllegalArgumentException when it is not of that form.
     */
    public static URI baseUri(final String baseUrl)
    {
        final URI uri;
        try
        {
            uri = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("clickhouse=" + baseUrl + " (expected: http://host:port)", ex);
        }
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0)
        {
            throw new IllegalArgumentException("clickhouse=" + baseUrl + " (expected: http://host:port)");
        }
        return uri;
    }

    /** @return the HTTP interface's URL, {@code http://host:port/}. */
    public URI base()
    {
        return base;
    }

    /**
     * @return whether {@code GET /ping} answers {@code Ok.}.
     */
    public boolean ping()
    {
        try
        {
            final HttpResponse<String> response = client.send(HttpRequest.newBuilder(base.resolve("ping"))
                .timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return response.statusCode() == 200 && response.body().startsWith("Ok.");
        }
        catch (final IOException ex)
        {
            return false;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Runs one statement.
     *
     * @param sql the statement, with its {@code FORMAT} clause if it returns rows in another format than
     *            TabSeparated.
     * @return the response body (TabSeparated rows unless the statement says otherwise), trimmed.
     * @throws IOException when the server cannot be reached or answers other than 200 (its error text is in the
     *                     message).
     */
    public String query(final String sql) throws IOException
    {
        return post(base, HttpRequest.BodyPublishers.ofString(sql, StandardCharsets.UTF_8), sql).trim();
    }

    /**
     * @param sql a statement that returns one number.
     * @return that number.
     * @throws IOException as {@link #query(String)}.
     */
    public long queryLong(final String sql) throws IOException
    {
        return Long.parseLong(query(sql));
    }

    /**
     * Inserts rows.
     *
     * @param table     {@code database.table}.
     * @param jsonLines the rows, one JSON object per line, UTF-8.
     * @param length    how many bytes of {@code jsonLines} to send.
     * @throws IOException when the server cannot be reached or refuses the rows (then none of this request's rows
     *                     is stored: ClickHouse parses the whole body before it writes a block of this size).
     */
    public void insertJsonEachRow(final String table, final byte[] jsonLines, final int length) throws IOException
    {
        final String insert = "INSERT INTO " + table + " FORMAT JSONEachRow";
        post(base.resolve("?query=" + URLEncoder.encode(insert, StandardCharsets.UTF_8).replace("+", "%20")),
            HttpRequest.BodyPublishers.ofByteArray(jsonLines, 0, length), insert);
    }

    private String post(final URI uri, final HttpRequest.BodyPublisher body, final String what) throws IOException
    {
        final HttpResponse<String> response;
        try
        {
            response = client.send(HttpRequest.newBuilder(uri).timeout(timeout).POST(body).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + what, ex);
        }
        if (response.statusCode() != 200)
        {
            throw new IOException("ClickHouse at " + base + " answered " + response.statusCode() + " to " +
                abbreviate(what) + ": " + response.body().trim());
        }
        return response.body();
    }

    private static String abbreviate(final String sql)
    {
        return sql.length() <= 200 ? sql : sql.substring(0, 200) + "...";
    }
}
