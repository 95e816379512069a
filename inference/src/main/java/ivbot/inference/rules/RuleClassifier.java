package ivbot.inference.rules;

import ivbot.inference.Audience;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.TextNormalizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.stream.Collectors;

/**
 * The keyword and regular-expression classifier: the permanent fallback when no model is loaded, too slow
 * or failing. It reads which topic (intent) and which hiring track (audience) a query names.
 * <p>
 * Cues come from a rule file (see {@link RuleFileParser} for the format; the built-in one is
 * {@value #DEFAULT_RESOURCE}). Classification works on the {@link TextNormalizer normalised} query:
 * <ol>
 *   <li>It walks two tries, one of topic cues and one of audience cues, taking at each index the longest
 *   cue that starts there and skipping a cue that lies wholly inside one already taken: {@code "试用期工资"}
 *   scores both {@code 试用期} and {@code 工资}, while {@code "加班费"} scores only {@code 加班费}.</li>
 *   <li>A few precompiled expressions, each searched only when one of its guard literals is present, add
 *   to the same targets.</li>
 *   <li>A target's score is the weight of its strongest cue plus {@value #REINFORCEMENT} of each other
 *   one's, so a second cue of the same topic adds confidence but a repeated weak word does not outweigh
 *   one strong one.</li>
 *   <li>The highest-scoring target with at least {@value #MIN_SCORE} wins; on a tie the one named first
 *   wins, as a Chinese question names its topic before what it asks about it ({@code "婚假可以和年假连休吗"}
 *   is about 婚假).</li>
 *   <li>The cues of intents whose section is marked {@code yields} (greetings, thanks and out-of-scope
 *   chat in the built-in file) only win when no other topic does, so {@code "你好, 年假几天"} is
 *   {@code leave_annual}, unless they score {@value #OVERRIDE_SCORE} or more (a rival company's name makes
 *   {@code "腾讯年终奖多少"} out of scope).</li>
 * </ol>
 * The sections name intents of an {@link IntentCatalog}: a section naming an id the catalog does not have is
 * an error naming the file and the line; a catalog intent with no cue is logged as a warning (the rules then
 * never name it, and only the model can).
 * Immutable after construction and safe to call from any number of event-loop threads at once. A call
 * allocates the normalised string, two small score arrays, its {@link RuleMatch} (none when nothing is
 * named) and a {@link Matcher} per expression whose guard passes; it never blocks.
 */
public final class RuleClassifier
{
    /**
     * Classpath location of the built-in rule file.
     */
    public static final String DEFAULT_RESOURCE = "/ivbot/inference/rules/intent-rules.txt";

    /**
     * The least score that makes an intent or an audience count as named.
     */
    static final float MIN_SCORE = 1.0f;

    /**
     * The share of the weight of each cue but a target's strongest that adds to its score.
     */
    static final float REINFORCEMENT = 0.3f;

    /**
     * The least score that lets a greeting, thanks or out-of-scope cue win over a policy topic.
     */
    static final float OVERRIDE_SCORE = 5.0f;

    private static final Logger LOG = LoggerFactory.getLogger(RuleClassifier.class);
    private static final Audience[] AUDIENCES = Audience.values();
    private static final RuleMatch NO_MATCH = new RuleMatch(null, null, 0f);

    private final IntentCatalog catalog;
    private final int intentCount;
    private final int slots;
    private final boolean[] yields;
    private final List<Intent> withoutCues;
    private final CueTrie topics;
    private final CueTrie audiences;
    private final RegexCue[] regexes;

    RuleClassifier(final IntentCatalog catalog, final boolean[] yields, final List<Intent> withoutCues,
        final CueTrie topics, final CueTrie audiences, final RegexCue[] regexes)
    {
        this.catalog = catalog;
        this.intentCount = catalog.size();
        this.slots = intentCount + AUDIENCES.length;
        this.yields = yields;
        this.withoutCues = List.copyOf(withoutCues);
        this.topics = topics;
        this.audiences = audiences;
        this.regexes = regexes;
    }

    /**
     * Loads the built-in rules from {@value #DEFAULT_RESOURCE} against a catalog. Parses and compiles
     * everything, so call it once at start (and once per catalog change) and share the result.
     *
     * @param catalog the intents the sections may name.
     * @return the classifier.
     * @throws UncheckedIOException     when the resource is missing or unreadable.
     * @throws IllegalArgumentException when the resource is malformed or names an intent the catalog lacks.
     */
    public static RuleClassifier loadDefault(final IntentCatalog catalog)
    {
        try (InputStream in = RuleClassifier.class.getResourceAsStream(DEFAULT_RESOURCE))
        {
            if (in == null)
            {
                throw new IOException("resource not found: " + DEFAULT_RESOURCE);
            }
            final BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            return warnOfUncovered(
                RuleFileParser.parse(reader.lines().collect(Collectors.toList()), "classpath:" + DEFAULT_RESOURCE, catalog),
                "classpath:" + DEFAULT_RESOURCE);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Loads a rule file ({@code --rules FILE}) against a catalog, logging a warning for each catalog intent
     * that has no cue in it.
     *
     * @param file    the rule file.
     * @param catalog the intents the sections may name.
     * @return the classifier.
     * @throws IOException              when the file is unreadable; the message names it.
     * @throws IllegalArgumentException when the file is malformed or names an intent the catalog lacks; the
     *                                  message names the file, the line and the id.
     */
    public static RuleClassifier load(final Path file, final IntentCatalog catalog) throws IOException
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new IOException("rule file " + file + " is unreadable: " + ex, ex);
        }
        return warnOfUncovered(RuleFileParser.parse(lines, file.toString(), catalog), file.toString());
    }

    /**
     * {@link #load} a rule file, or {@link #loadDefault} the built-in rules when there is none.
     *
     * @param file    the rule file ({@code --rules}), or {@code null} for the built-in rules.
     * @param catalog the intents the sections may name.
     * @return the classifier.
     * @throws IOException              when the file is unreadable.
     * @throws IllegalArgumentException when the rules are malformed or name an intent the catalog lacks.
     */
    public static RuleClassifier loadOrDefault(final Path file, final IntentCatalog catalog) throws IOException
    {
        return file == null ? loadDefault(catalog) : load(file, catalog);
    }

    private static RuleClassifier warnOfUncovered(final RuleClassifier rules, final String source)
    {
        for (final Intent intent : rules.withoutCues)
        {
            LOG.warn("rules {}: intent '{}' of catalog {} has no cues: only the model can name it", source,
                intent.id(), rules.catalog.source());
        }
        return rules;
    }

    /**
     * @return the catalog the rules were read against; every {@link RuleMatch#intent()} is one of its.
     */
    public IntentCatalog catalog()
    {
        return catalog;
    }

    /**
     * @return the catalog intents no cue names (warned of at load), in index order.
     */
    public List<Intent> intentsWithoutCues()
    {
        return withoutCues;
    }

    /**
     * Classifies one query. Thread-safe, allocation-light and non-blocking; called from Netty event loops.
     * Time is linear in the length of {@code text} (about 1 to 2 us for a 20-character query). Never throws
     * on odd input: {@code null}, empty text, emoji, unpaired surrogates and very long text only yield a
     * {@code null} intent or a low confidence.
     *
     * @param text the query as the user typed it; it is normalised here with {@link TextNormalizer}.
     * @return the named intent and audience, each {@code null} when not named.
     */
    public RuleMatch classify(final String text)
    {
        if (text == null || text.isEmpty())
        {
            return NO_MATCH;
        }
        return classifyNormalized(TextNormalizer.normalize(text));
    }

    /**
     * Classifies one query that has already been through {@link TextNormalizer#normalize}; the same answer
     * as {@link #classify} on the original text, without normalising it a second time.
     *
     * @param normalized the normalised query.
     * @return the named intent and audience, each {@code null} when not named.
     */
    public RuleMatch classifyNormalized(final String normalized)
    {
        final int length = normalized.length();
        if (length == 0)
        {
            return NO_MATCH;
        }

        // a slot per intent, then one per audience; [0, SLOTS) sums cue weights, [SLOTS, 2 * SLOTS) keeps the
        // strongest, and after scoring [0, SLOTS) holds the scores
        final int slots = this.slots;
        final int intentCount = this.intentCount;
        final float[] scores = new float[2 * slots];
        // 1 + the index of each slot's first cue, 0 when none
        final int[] firstAt = new int[slots];
        int covered = scan(topics, normalized, scores, firstAt, 0);
        covered += scan(audiences, normalized, scores, firstAt, intentCount);
        for (final RegexCue regex : regexes)
        {
            if (!regex.guardPasses(normalized))
            {
                continue;
            }
            final Matcher matcher = regex.pattern().matcher(normalized);
            if (matcher.find())
            {
                add(scores, firstAt, (regex.audience() ? intentCount : 0) + regex.target(), regex.weight(),
                    matcher.start());
            }
        }
        for (int slot = 0; slot < slots; slot++)
        {
            final float strongest = scores[slots + slot];
            scores[slot] = strongest + REINFORCEMENT * (scores[slot] - strongest);
        }

        final Audience audience = bestAudience(scores, firstAt);
        int best = bestIntent(scores, firstAt, false);
        if (best < 0)
        {
            best = bestIntent(scores, firstAt, true);
        }
        if (best < 0)
        {
            return audience == null ? NO_MATCH : new RuleMatch(null, audience, 0f);
        }
        return new RuleMatch(catalog.fromIndex(best), audience, confidence(scores, best, covered, length));
    }

    /**
     * Adds the weights of the cues of {@code trie} found in {@code text} to {@code scores[offset + target]}.
     *
     * @return the number of chars of {@code text} covered by the cues taken.
     */
    private int scan(
        final CueTrie trie, final String text, final float[] scores, final int[] firstAt, final int offset)
    {
        final int length = text.length();
        int covered = 0;
        int takenEnd = 0;
        for (int start = 0; start < length; start++)
        {
            final int cue = trie.longestAt(text, start);
            if (cue < 0)
            {
                continue;
            }
            final int end = start + trie.length(cue);
            if (end <= takenEnd)
            {
                // wholly inside a longer cue already taken: the longer one is the better reading
                continue;
            }
            covered += end - Math.max(start, takenEnd);
            takenEnd = end;
            final int target = trie.target(cue);
            if (target >= 0)
            {
                add(scores, firstAt, offset + target, trie.weight(cue), start);
            }
        }
        return covered;
    }

    private void add(
        final float[] scores, final int[] firstAt, final int slot, final float weight, final int at)
    {
        scores[slot] += weight;
        if (weight > scores[slots + slot])
        {
            scores[slots + slot] = weight;
        }
        if (firstAt[slot] == 0 || firstAt[slot] > at + 1)
        {
            firstAt[slot] = at + 1;
        }
    }

    private int bestIntent(final float[] scores, final int[] firstAt, final boolean social)
    {
        int best = -1;
        for (int i = 0; i < intentCount; i++)
        {
            final boolean eligible = social ? isSocial(i) : !isSocial(i) || scores[i] >= OVERRIDE_SCORE;
            if (eligible && scores[i] >= MIN_SCORE && (best < 0 || beats(scores, firstAt, i, best)))
            {
                best = i;
            }
        }
        return best;
    }

    private static boolean beats(final float[] scores, final int[] firstAt, final int candidate, final int best)
    {
        return scores[candidate] > scores[best] ||
            (scores[candidate] == scores[best] && firstAt[candidate] < firstAt[best]);
    }

    private float confidence(final float[] scores, final int best, final int covered, final int length)
    {
        final boolean social = isSocial(best);
        float second = 0f;
        for (int i = 0; i < intentCount; i++)
        {
            // a social cue beside a policy topic is no conflict ("谢谢, 那病假呢"), but a rival topic is
            if (i != best && (isSocial(i) == social || scores[i] >= OVERRIDE_SCORE) && scores[i] > second)
            {
                second = scores[i];
            }
        }
        final float top = scores[best];
        final float agreement = top / (top + second + 1f);
        // topic and audience cues may overlap, so this over-counts a little; it only nudges the result
        final float coverage = Math.min(1f, covered / (float)length);
        return Math.min(1f, agreement + 0.25f * coverage);
    }

    private Audience bestAudience(final float[] scores, final int[] firstAt)
    {
        int best = -1;
        for (int i = intentCount; i < slots; i++)
        {
            if (scores[i] >= MIN_SCORE && (best < 0 || beats(scores, firstAt, i, best)))
            {
                best = i;
            }
        }
        return best < 0 ? null : AUDIENCES[best - intentCount];
    }

    /**
     * The intents of sections marked {@code yields} (greetings, thanks and out-of-scope chat) give way to any
     * other topic or request for a human.
     */
    private boolean isSocial(final int intent)
    {
        return yields[intent];
    }
}
