package ivbot.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The label set, read from a catalog file ({@code models/catalog.json}, and a copy {@value #FILE} in every
 * model package next to its {@code labels.txt}):
 * <pre>
 * {"version": 1, "about": "...", "audiences": [...],
 *  "intents": [
 *    {"id": "leave_annual", "zh": "年假", "kind": "policy", "about": "...", "examples": ["..."]},
 *    ...
 *    {"id": "out_of_scope", "zh": "无关", "kind": "fallback", ...}],
 *  "multi_turn": [...]}
 * </pre>
 * An intent's class index is its position in {@code intents}. Ids are lower-case words
 * ({@code [a-z][a-z0-9_]*}), each at most once; {@code kind} is {@code policy}, {@code social} or
 * {@code fallback}, and exactly one intent is the fallback. Other fields are documentation and are not read.
 * <p>
 * Immutable and thread-safe.
 */
public final class IntentCatalog
{
    /** The name of the catalog file inside a model package. */
    public static final String FILE = "catalog.json";

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9_]*");

    private final String source;
    private final byte[] json;
    private final List<Intent> intents;
    private final Map<String, Intent> byId;
    private final Intent fallback;

    private IntentCatalog(final String source, final byte[] json, final List<Intent> intents, final Intent fallback)
    {
        this.source = source;
        this.json = json;
        this.intents = Collections.unmodifiableList(intents);
        this.fallback = fallback;
        final Map<String, Intent> map = new HashMap<>();
        for (final Intent intent : intents)
        {
            map.put(intent.id(), intent);
        }
        this.byId = map;
    }

    /**
     * Reads and checks a catalog file.
     *
     * @param file the file.
     * @return the catalog.
     * @throws IOException when the file is unreadable or not a valid catalog; the message names the file and,
     *                     where one is at fault, the intent.
     */
    public static IntentCatalog load(final Path file) throws IOException
    {
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new IOException("catalog " + file + " is unreadable: " + ex, ex);
        }
        return parse(bytes, file.toString());
    }

    /**
     * Reads and checks a catalog.
     *
     * @param in         the catalog's JSON; read to its end, not closed.
     * @param sourceName what to call it in error messages, e.g. a file name.
     * @return the catalog.
     * @throws IOException when unreadable or not a valid catalog; the message names {@code sourceName}.
     */
    public static IntentCatalog fromJson(final InputStream in, final String sourceName) throws IOException
    {
        return parse(in.readAllBytes(), sourceName);
    }

    private static IntentCatalog parse(final byte[] bytes, final String source) throws IOException
    {
        final String where = "catalog " + source + ": ";
        final JsonNode root;
        try
        {
            root = MAPPER.readTree(new ByteArrayInputStream(bytes));
        }
        catch (final IOException ex)
        {
            throw new IOException(where + "not valid JSON: " + ex.getMessage(), ex);
        }
        final JsonNode array = root == null ? null : root.get("intents");
        if (array == null || !array.isArray() || array.isEmpty())
        {
            throw new IOException(where + "no \"intents\" array (expected: at least one intent)");
        }
        final List<Intent> intents = new ArrayList<>(array.size());
        final Map<String, Integer> seen = new HashMap<>();
        Intent fallback = null;
        for (int i = 0; i < array.size(); i++)
        {
            final JsonNode node = array.get(i);
            final String id = node.path("id").asText("");
            if (!ID.matcher(id).matches())
            {
                throw new IOException(where + "intent #" + (i + 1) + " has id '" + id + "' (expected: [a-z][a-z0-9_]*)");
            }
            final Integer previous = seen.put(id, i);
            if (previous != null)
            {
                throw new IOException(where + "intent '" + id + "' appears twice (#" + (previous + 1) + " and #" + (i + 1) + ")");
            }
            final String zh = node.path("zh").asText("").strip();
            if (zh.isEmpty())
            {
                throw new IOException(where + "intent '" + id + "' has no \"zh\" name");
            }
            final String kindId = node.path("kind").asText("");
            final Intent.Kind kind = Intent.Kind.fromId(kindId);
            if (kind == null)
            {
                throw new IOException(where + "intent '" + id + "' has kind '" + kindId + "' (expected: " +
                    Arrays.stream(Intent.Kind.values()).map(Intent.Kind::id).reduce((a, b) -> a + ", " + b).orElse("") + ")");
            }
            final Intent intent = new Intent(id, zh, kind, i);
            if (kind == Intent.Kind.FALLBACK)
            {
                if (fallback != null)
                {
                    throw new IOException(where + "intents '" + fallback.id() + "' and '" + id +
                        "' are both of kind fallback (expected: exactly one)");
                }
                fallback = intent;
            }
            intents.add(intent);
        }
        if (fallback == null)
        {
            throw new IOException(where + "no intent of kind fallback (expected: exactly one)");
        }
        return new IntentCatalog(source, bytes.clone(), intents, fallback);
    }

    /**
     * @return where the catalog was read from, for messages.
     */
    public String source()
    {
        return source;
    }

    /**
     * @param id a wire id such as {@code "salary"}; may be {@code null}.
     * @return the intent, or {@code null} when {@code id} is not one of this catalog's.
     */
    public Intent fromId(final String id)
    {
        return id == null ? null : byId.get(id);
    }

    /**
     * @param index a class index in {@code [0, size())}.
     * @return the intent at that index.
     * @throws IndexOutOfBoundsException when out of range.
     */
    public Intent fromIndex(final int index)
    {
        return intents.get(index);
    }

    /**
     * @return the number of intents.
     */
    public int size()
    {
        return intents.size();
    }

    /**
     * @return the intents in index order; unmodifiable.
     */
    public List<Intent> intents()
    {
        return intents;
    }

    /**
     * @return the policy intents in index order.
     */
    public List<Intent> policyIntents()
    {
        final List<Intent> policy = new ArrayList<>();
        for (final Intent intent : intents)
        {
            if (intent.isPolicy())
            {
                policy.add(intent);
            }
        }
        return policy;
    }

    /**
     * @return the one intent of kind {@code fallback}: what a turn is when nothing else fits.
     */
    public Intent fallback()
    {
        return fallback;
    }

    /**
     * @param other another catalog.
     * @return true when both have the same intents (id, name and kind) in the same order.
     */
    public boolean sameIntents(final IntentCatalog other)
    {
        if (other.size() != size())
        {
            return false;
        }
        for (int i = 0; i < intents.size(); i++)
        {
            final Intent a = intents.get(i);
            final Intent b = other.intents.get(i);
            if (!a.id().equals(b.id()) || !a.zh().equals(b.zh()) || a.kind() != b.kind())
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Writes the catalog as it was read, byte for byte (into a model package, say).
     *
     * @param file the file to write.
     * @throws IOException when it cannot be written.
     */
    public void write(final Path file) throws IOException
    {
        Files.write(file, json);
    }

    @Override
    public String toString()
    {
        return source + " (" + intents.size() + " intents)";
    }
}
