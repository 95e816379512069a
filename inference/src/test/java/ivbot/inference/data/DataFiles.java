package ivbot.inference.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.inference.model.Models;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Test helpers: the data sets under {@code models/data/}, read line by line so that failures can name the
 * file and line.
 */
final class DataFiles
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private DataFiles()
    {
    }

    /**
     * One question of a TSV file.
     *
     * @param line its 1-based line number.
     */
    record Row(int line, String text, String intent, String audience)
    {
    }

    /**
     * One turn of a dialog.
     */
    record Turn(String text, String intent, String audience)
    {
    }

    /**
     * One dialog of a JSONL file.
     *
     * @param line its 1-based line number.
     */
    record Dialog(int line, String id, List<Turn> turns)
    {
    }

    static Path data(final String name)
    {
        return Models.repoRoot().resolve("models/data").resolve(name);
    }

    /**
     * The comparison form of a question: Unicode NFKC, then lower case.
     */
    static String normalize(final String text)
    {
        return Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    }

    static List<Row> readTsv(final Path file) throws IOException
    {
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        final List<Row> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++)
        {
            if (lines.get(i).isBlank())
            {
                continue;
            }
            final String[] cols = lines.get(i).split("\t", -1);
            rows.add(new Row(i + 1, cols[0], cols.length > 1 ? cols[1] : "", cols.length > 2 ? cols[2] : ""));
        }
        return rows;
    }

    static List<Dialog> readDialogs(final Path file) throws IOException
    {
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        final List<Dialog> dialogs = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++)
        {
            if (lines.get(i).isBlank())
            {
                continue;
            }
            final JsonNode node;
            try
            {
                node = JSON.readTree(lines.get(i));
            }
            catch (final IOException ex)
            {
                throw new IOException(file.getFileName() + ":" + (i + 1) + ": " + ex.getMessage(), ex);
            }
            final List<Turn> turns = new ArrayList<>();
            for (final JsonNode turn : node.path("turns"))
            {
                final JsonNode audience = turn.get("audience");
                turns.add(new Turn(turn.path("text").asText(), turn.path("intent").asText(),
                    audience == null || audience.isNull() ? null : audience.asText()));
            }
            dialogs.add(new Dialog(i + 1, node.path("id").asText(), turns));
        }
        return dialogs;
    }
}
