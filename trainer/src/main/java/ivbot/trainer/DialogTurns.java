package ivbot.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.DialogFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads labelled dialogs ({@code models/data/*dialogs.jsonl}: {@code {"id", "turns": [{"text", "intent",
 * "audience"}]}}) as sentence-pair examples: each turn's text with the session's topic before it as context, the
 * way a served turn is classified. The topic is the last policy intent of the dialog so far (greetings, thanks, a
 * request for a human and out-of-scope turns keep it); a dialog's first turn, and any turn before a policy intent
 * was asked about, has none.
 */
final class DialogTurns
{
    private DialogTurns()
    {
    }

    /**
     * @param file    a JSONL file of dialogs.
     * @param catalog the label set: every turn's intent must be one of its ids.
     * @return one example per turn, in file order.
     * @throws IOException when the file is unreadable, or a line is malformed or names an unknown intent; the
     *                     message names the file and line.
     */
    static List<FineTuner.Example> read(final Path file, final IntentCatalog catalog) throws IOException
    {
        final List<FineTuner.Example> examples = new ArrayList<>();
        DialogFile.forEach(file, (number, dialog) ->
        {
            Intent topic = null;
            for (final JsonNode turn : dialog.path("turns"))
            {
                final Intent intent = catalog.fromId(turn.path("intent").asText(""));
                if (intent == null)
                {
                    throw new IOException(file + ":" + number + ": unknown intent '" + turn.path("intent").asText("") + "'");
                }
                examples.add(new FineTuner.Example(topic == null ? null : topic.zh(),
                    TextNormalizer.normalize(turn.path("text").asText("")), intent));
                if (intent.isPolicy())
                {
                    topic = intent;
                }
            }
        });
        return examples;
    }
}
