package ivbot.server.kb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.inference.Audience;
import ivbot.inference.Intent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * The policy answers, one immutable snapshot of {@code models/kb/<intent>.json}:
 *
 * <pre>
 * {"intent": "leave_annual", "title": "年假",
 *  "answers": {"default": "...", "campus": "...", "experienced": "...", "intern": "..."}}
 * </pre>
 *
 * {@code default} is required for every intent; an audience's answer is used when the audience is known
 * and present, else the default. Thread-safe (immutable).
 */
public final class KnowledgeBase
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Map<Intent, Entry> entries;

    private KnowledgeBase(final Map<Intent, Entry> entries)
    {
        this.entries = entries;
    }

    /**
     * Loads and checks all 24 files of a directory.
     *
     * @param dir the knowledge-base directory.
     * @return the snapshot.
     * @throws IOException when a file is missing, unreadable, or not of the expected form; the message
     *                     names the file.
     */
    public static KnowledgeBase load(final Path dir) throws IOException
    {
        final Map<Intent, Entry> entries = new EnumMap<>(Intent.class);
        for (final Intent intent : Intent.values())
        {
            final Path file = dir.resolve(intent.id() + ".json");
            if (!Files.isRegularFile(file))
            {
                throw new IOException("knowledge base " + dir + " has no " + file.getFileName());
            }
            final JsonNode root;
            try
            {
                root = MAPPER.readTree(file.toFile());
            }
            catch (final IOException ex)
            {
                throw new IOException("knowledge base file " + file + " is not valid JSON: " + ex.getMessage(), ex);
            }
            if (root == null || !intent.id().equals(root.path("intent").asText()))
            {
                throw new IOException("knowledge base file " + file + " must have \"intent\": \"" + intent.id() + "\"");
            }
            final JsonNode answers = root.path("answers");
            final String fallback = answers.path("default").asText("");
            if (fallback.isBlank())
            {
                throw new IOException("knowledge base file " + file + " has no answers.default");
            }
            final String[] byAudience = new String[Audience.values().length];
            for (final Audience audience : Audience.values())
            {
                final String text = answers.path(audience.id()).asText("");
                byAudience[audience.ordinal()] = text.isBlank() ? null : text;
            }
            entries.put(intent, new Entry(root.path("title").asText(intent.id()), fallback, byAudience));
        }
        return new KnowledgeBase(entries);
    }

    /**
     * @param intent   the intent.
     * @param audience the audience, or {@code null} when unknown.
     * @return the answer for that audience when it has one, else the default answer.
     */
    public String answer(final Intent intent, final Audience audience)
    {
        final Entry entry = entries.get(intent);
        if (audience != null)
        {
            final String specific = entry.byAudience[audience.ordinal()];
            if (specific != null)
            {
                return specific;
            }
        }
        return entry.fallback;
    }

    /**
     * @param intent the intent.
     * @return its Chinese title, e.g. {@code "年假"}.
     */
    public String title(final Intent intent)
    {
        return entries.get(intent).title;
    }

    private static final class Entry
    {
        final String title;
        final String fallback;
        final String[] byAudience;

        Entry(final String title, final String fallback, final String[] byAudience)
        {
            this.title = title;
            this.fallback = fallback;
            this.byAudience = byAudience;
        }
    }
}
