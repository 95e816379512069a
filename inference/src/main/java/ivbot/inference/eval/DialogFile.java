package ivbot.inference.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a labelled dialog file ({@code models/data/*dialogs.jsonl}): one JSON object a line,
 * {@code {"id", "turns": [{"text", "intent", "audience"}]}}, blank lines skipped. Stateless.
 */
public final class DialogFile
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * Receives each dialog of a file.
     */
    @FunctionalInterface
    public interface Visitor
    {
        /**
         * @param line   the dialog's line number, from 1, for error messages.
         * @param dialog the dialog object; its {@code turns} is an array.
         * @throws IOException to stop reading, e.g. on a turn the visitor refuses.
         */
        void dialog(int line, JsonNode dialog) throws IOException;
    }

    private DialogFile()
    {
    }

    /**
     * @param file    the JSONL file.
     * @param visitor receives each dialog, in file order.
     * @return the number of dialogs.
     * @throws IOException when the file is unreadable, or a line is not JSON or has no {@code turns} array; the
     *                     message names the file and line.
     */
    public static int forEach(final Path file, final Visitor visitor) throws IOException
    {
        int dialogs = 0;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null)
            {
                number++;
                if (line.isBlank())
                {
                    continue;
                }
                final JsonNode dialog;
                try
                {
                    dialog = MAPPER.readTree(line);
                }
                catch (final IOException ex)
                {
                    throw new IOException(file + ":" + number + ": not JSON: " + ex.getMessage(), ex);
                }
                if (!dialog.path("turns").isArray())
                {
                    throw new IOException(file + ":" + number + ": a dialog needs a \"turns\" array");
                }
                dialogs++;
                visitor.dialog(number, dialog);
            }
        }
        return dialogs;
    }
}
