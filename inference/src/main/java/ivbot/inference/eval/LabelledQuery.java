package ivbot.inference.eval;

import ivbot.inference.Audience;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One row of a labelled TSV file ({@code models/data/*.tsv}):
 * <pre>
 * text&lt;TAB&gt;intent&lt;TAB&gt;audience      header, exactly
 * 校招生年假几天?&lt;TAB&gt;leave_annual&lt;TAB&gt;campus
 * 在吗&lt;TAB&gt;greeting&lt;TAB&gt;                audience may be empty
 * </pre>
 *
 * @param text     the query.
 * @param intent   its intent.
 * @param audience the audience it states, or {@code null}.
 */
public record LabelledQuery(String text, Intent intent, Audience audience)
{
    /**
     * The required header line.
     */
    public static final String HEADER = "text\tintent\taudience";

    /**
     * Reads a labelled TSV file whose labels are intents of {@code catalog}.
     *
     * @param file    the file.
     * @param catalog the label set.
     * @return its rows in order.
     * @throws IOException when unreadable, or when the header or a row is malformed, or a label is not an
     *                     intent of {@code catalog}; the message names the file, the line and the label.
     */
    public static List<LabelledQuery> readTsv(final Path file, final IntentCatalog catalog) throws IOException
    {
        final List<LabelledQuery> rows = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            final String header = reader.readLine();
            if (header == null || !HEADER.equals(header.strip()))
            {
                throw new IOException(file + ":1: header must be '" + HEADER.replace("\t", "<TAB>") + "'");
            }
            String line;
            int number = 1;
            while ((line = reader.readLine()) != null)
            {
                number++;
                if (line.isBlank())
                {
                    continue;
                }
                final String[] cols = line.split("\t", -1);
                if (cols.length < 2 || cols.length > 3)
                {
                    throw new IOException(file + ":" + number + ": expected 3 tab-separated columns");
                }
                final Intent intent = catalog.fromId(cols[1].strip());
                if (intent == null)
                {
                    throw new IOException(file + ":" + number + ": label '" + cols[1].strip() +
                        "' is not an intent of catalog " + catalog.source());
                }
                final String audienceId = cols.length == 3 ? cols[2].strip() : "";
                final Audience audience = Audience.fromId(audienceId);
                if (!audienceId.isEmpty() && audience == null)
                {
                    throw new IOException(file + ":" + number + ": unknown audience '" + audienceId + "'");
                }
                rows.add(new LabelledQuery(cols[0], intent, audience));
            }
        }
        return rows;
    }
}
