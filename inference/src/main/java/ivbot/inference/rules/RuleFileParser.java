package ivbot.inference.rules;

import ivbot.inference.Audience;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.TextNormalizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads the rule file format into a {@link RuleClassifier}. Used once at load; not thread-safe.
 * <pre>
 *   # comment                     blank lines and lines starting with '#' are ignored
 *   [leave_sick]                  the following lines are topic cues of intent leave_sick
 *   [greeting yields]             cues of greeting, which give way to any topic not marked so
 *   3 病假|病休|sick leave          weight, then literal cues separated by '|'
 *   2 /病.{0,2}[几多].{0,2}天/     weight, then one regular expression between slashes
 *   3 /[0-9]+轮/ if 轮             an expression searched only in text that contains one of the guards
 *   [@intern]                     the following lines are audience cues of audience intern
 *   [-]                           blockers: topic cues that score nothing but hide the cues they contain
 *   [@-]                          blockers among the audience cues
 * </pre>
 * Literal cues and expressions are matched against {@link TextNormalizer#normalize(String) normalised}
 * text, so literals are normalised here too ({@code "HR"} is stored as {@code "hr"}); expressions must be
 * written in lower case. Sections name intents of a catalog; every error names the source and the line
 * number, and an unknown intent or audience also the id.
 */
final class RuleFileParser
{
    private static final String BLOCKER_SECTION = "-";
    private static final String YIELDS = "yields";

    private RuleFileParser()
    {
    }

    /**
     * @param lines   the lines of a rule file.
     * @param source  name of the file for error messages.
     * @param catalog the intents sections may name.
     * @return the classifier.
     * @throws IllegalArgumentException on the first malformed line.
     */
    static RuleClassifier parse(final List<String> lines, final String source, final IntentCatalog catalog)
    {
        final boolean[] yields = new boolean[catalog.size()];
        final boolean[] cued = new boolean[catalog.size()];
        final CueTrie.Builder topics = new CueTrie.Builder();
        final CueTrie.Builder audiences = new CueTrie.Builder();
        final List<RegexCue> regexes = new ArrayList<>();

        boolean audienceSection = false;
        int target = Integer.MIN_VALUE;
        for (int i = 0; i < lines.size(); i++)
        {
            final String line = lines.get(i).strip();
            final String where = source + ":" + (i + 1) + ": ";
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            if (line.startsWith("["))
            {
                if (!line.endsWith("]"))
                {
                    throw new IllegalArgumentException(where + "section header without ']': " + line);
                }
                final String[] words = line.substring(1, line.length() - 1).strip().split("\\s+");
                final String name = words[0];
                audienceSection = name.startsWith("@");
                target = sectionTarget(name, where, catalog);
                if (words.length > 2 || words.length == 2 && (!YIELDS.equals(words[1]) || audienceSection || target < 0))
                {
                    throw new IllegalArgumentException(where + "expected '[<intent>]' or '[<intent> " + YIELDS + "]': " + line);
                }
                if (words.length == 2)
                {
                    yields[target] = true;
                }
                continue;
            }
            if (target == Integer.MIN_VALUE)
            {
                throw new IllegalArgumentException(where + "cue before the first [section]");
            }

            final int space = line.indexOf(' ');
            if (space < 0)
            {
                throw new IllegalArgumentException(where + "expected '<weight> <cues>': " + line);
            }
            final float weight = parseWeight(line.substring(0, space), where);
            final String body = line.substring(space + 1).strip();
            if (body.startsWith("/"))
            {
                if (target < 0)
                {
                    throw new IllegalArgumentException(where + "a blocker cannot be an expression");
                }
                regexes.add(parseRegex(body, audienceSection, target, weight, where));
                cued[target] |= !audienceSection;
                continue;
            }
            for (final String raw : body.split("\\|"))
            {
                final String cue = TextNormalizer.normalize(raw);
                if (cue.isEmpty())
                {
                    throw new IllegalArgumentException(where + "empty cue in: " + line);
                }
                try
                {
                    (audienceSection ? audiences : topics).add(cue, target, weight);
                    if (!audienceSection && target >= 0)
                    {
                        cued[target] = true;
                    }
                }
                catch (final IllegalArgumentException ex)
                {
                    throw new IllegalArgumentException(where + ex.getMessage(), ex);
                }
            }
        }

        final List<Intent> withoutCues = new ArrayList<>();
        for (final Intent intent : catalog.intents())
        {
            if (!cued[intent.index()])
            {
                withoutCues.add(intent);
            }
        }
        return new RuleClassifier(catalog, yields, withoutCues, topics.build(), audiences.build(),
            regexes.toArray(new RegexCue[0]));
    }

    private static RegexCue parseRegex(
        final String body, final boolean audience, final int target, final float weight, final String where)
    {
        final int close = body.lastIndexOf('/');
        if (close < 2)
        {
            throw new IllegalArgumentException(where + "expected '/<regex>/ [if <guard>|<guard>...]': " + body);
        }
        final Pattern pattern = compile(body.substring(1, close), where);
        final String rest = body.substring(close + 1).strip();
        final List<String> guards = new ArrayList<>();
        if (!rest.isEmpty())
        {
            if (!rest.startsWith("if "))
            {
                throw new IllegalArgumentException(where + "expected 'if <guard>|<guard>...' after the expression: " +
                    rest);
            }
            for (final String raw : rest.substring(3).split("\\|"))
            {
                final String guard = TextNormalizer.normalize(raw);
                if (guard.isEmpty())
                {
                    throw new IllegalArgumentException(where + "empty guard in: " + body);
                }
                guards.add(guard);
            }
        }
        return new RegexCue(pattern, guards.toArray(new String[0]), audience, target, weight);
    }

    private static int sectionTarget(final String name, final String where, final IntentCatalog catalog)
    {
        if (BLOCKER_SECTION.equals(name) || ("@" + BLOCKER_SECTION).equals(name))
        {
            return -1;
        }
        if (name.startsWith("@"))
        {
            final Audience audience = Audience.fromId(name.substring(1));
            if (audience == null)
            {
                throw new IllegalArgumentException(where + "unknown audience: " + name);
            }
            return audience.ordinal();
        }
        final Intent intent = catalog.fromId(name);
        if (intent == null)
        {
            throw new IllegalArgumentException(where + "intent '" + name + "' is not in catalog " + catalog.source());
        }
        return intent.index();
    }

    private static float parseWeight(final String text, final String where)
    {
        final float weight;
        try
        {
            weight = Float.parseFloat(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(where + "weight=" + text + " (expected: a number)", ex);
        }
        if (!(weight >= 0f && weight <= 10f))
        {
            throw new IllegalArgumentException(where + "weight=" + text + " (expected: in [0, 10])");
        }
        return weight;
    }

    private static Pattern compile(final String regex, final String where)
    {
        try
        {
            return Pattern.compile(regex);
        }
        catch (final PatternSyntaxException ex)
        {
            throw new IllegalArgumentException(where + "bad expression: " + ex.getMessage(), ex);
        }
    }
}
