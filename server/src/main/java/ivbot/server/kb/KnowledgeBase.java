package ivbot.server.kb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.inference.Audience;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The policy answers, one immutable snapshot of {@code models/kb/<intent>.json}:
 *
 * <pre>
 * {"intent": "leave_annual", "title": "年假",
 *  "answers": {"default": "...", "campus": "...", "experienced": "...", "intern": "..."}}
 * </pre>
 *
 * One file per intent of the catalog it is loaded against, named by the intent's id; files of other ids
 * are not read. {@code default} is required for every intent; an audience's answer is used when the
 * audience is known and present, else the default. Answers are looked up by intent id, so an intent of
 * another load of the catalog finds its answer. Thread-safe (immutable).
 */
public final class KnowledgeBase
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final IntentCatalog catalog;
    private final Map<String, Entry> entries;
    private final String[] clarifying;

    private KnowledgeBase(final IntentCatalog catalog, final Map<String, Entry> entries)
    {
        this.catalog = catalog;
        this.entries = entries;
        final Audience[] audiences = Audience.values();
        this.clarifying = new String[audiences.length + 1];
        clarifying[audiences.length] = clarifyingQuestion(catalog.policyIntents(), "");
        for (final Audience audience : audiences)
        {
            clarifying[audience.ordinal()] = clarifyingQuestion(catalog.policyIntents(), audience.zh());
        }
    }

    /**
     * Loads and checks one file per intent of a catalog.
     *
     * @param dir     the knowledge-base directory.
     * @param catalog the intents that must have an answer.
     * @return the snapshot.
     * @throws IOException when a file is missing, unreadable, or not of the expected form; the message
     *                     names the file and the intent.
     */
    public static KnowledgeBase load(final Path dir, final IntentCatalog catalog) throws IOException
    {
        final Map<String, Entry> entries = new HashMap<>();
        for (final Intent intent : catalog.intents())
        {
            final Path file = dir.resolve(intent.id() + ".json");
            if (!Files.isRegularFile(file))
            {
                throw new IOException("knowledge base " + dir + " has no " + file.getFileName() + ": intent '" +
                    intent.id() + "' of catalog " + catalog.source() + " has no answer");
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
            entries.put(intent.id(), new Entry(root.path("title").asText(intent.id()), fallback, byAudience));
        }
        return new KnowledgeBase(catalog, entries);
    }

    /**
     * @return the catalog the knowledge base was loaded against: every intent of it has an answer.
     */
    public IntentCatalog catalog()
    {
        return catalog;
    }

    /**
     * @param intent   the intent.
     * @param audience the audience, or {@code null} when unknown.
     * @return the answer for that audience when it has one, else the default answer; {@code null} when the
     * intent's id is not in this knowledge base's catalog.
     */
    public String answer(final Intent intent, final Audience audience)
    {
        final Entry entry = entries.get(intent.id());
        if (entry == null)
        {
            return null;
        }
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
        return entries.get(intent.id()).title;
    }

    /**
     * The reply to a turn whose topic is not known: it names the catalog's policy topics by their
     * {@code zh} names, e.g. {@code 请问您想了解校招哪方面的政策呢?比如年假、病假或薪资。}
     *
     * @param audience the audience in effect, or {@code null}.
     * @return the question.
     */
    public String clarifyingQuestion(final Audience audience)
    {
        return clarifying[audience == null ? clarifying.length - 1 : audience.ordinal()];
    }

    private static String clarifyingQuestion(final List<Intent> topics, final String who)
    {
        final StringBuilder text = new StringBuilder("请问您想了解").append(who).append("哪方面的政策呢?");
        if (!topics.isEmpty())
        {
            text.append("比如");
            for (int i = 0; i < topics.size(); i++)
            {
                text.append(i == 0 ? "" : i == topics.size() - 1 ? "或" : "、").append(topics.get(i).zh());
            }
            text.append('。');
        }
        return text.toString();
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
