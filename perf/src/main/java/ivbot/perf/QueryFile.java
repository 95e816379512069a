package ivbot.perf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the queries a run sends. Two formats:
 * <ul>
 *   <li>the TSV of {@code models/data/*.tsv}: a header line {@code text<TAB>intent<TAB>audience}, then one
 *   labelled query a line; only column 1 is used;</li>
 *   <li>plain text: one query a line.</li>
 * </ul>
 * Blank lines are skipped and the file order is kept (it is the popularity rank under {@code --zipf}).
 * Queries are not deduplicated. Stateless; shared with the JMH benchmarks.
 */
public final class QueryFile
{
    private static final String TSV_HEADER_PREFIX = "text\t";

    private QueryFile()
    {
    }

    /**
     * @param file the query file, UTF-8.
     * @return the queries, in file order; never empty.
     * @throws IOException              when the file cannot be read.
     * @throws IllegalArgumentException when it holds no query.
     */
    public static List<String> load(final Path file) throws IOException
    {
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        final boolean tsv = !lines.isEmpty() && stripBom(lines.get(0)).startsWith(TSV_HEADER_PREFIX);
        final List<String> queries = new ArrayList<>(lines.size());
        for (int i = tsv ? 1 : 0; i < lines.size(); i++)
        {
            String line = i == 0 ? stripBom(lines.get(0)) : lines.get(i);
            if (tsv)
            {
                final int tab = line.indexOf('\t');
                line = tab < 0 ? line : line.substring(0, tab);
            }
            line = line.strip();
            if (!line.isEmpty())
            {
                queries.add(line);
            }
        }
        if (queries.isEmpty())
        {
            throw new IllegalArgumentException("--queries=" + file + " (expected: at least one query)");
        }
        return List.copyOf(queries);
    }

    private static String stripBom(final String line)
    {
        return !line.isEmpty() && line.charAt(0) == '\uFEFF' ? line.substring(1) : line;
    }
}
