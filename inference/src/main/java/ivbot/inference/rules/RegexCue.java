package ivbot.inference.rules;

import java.util.regex.Pattern;

/**
 * A cue that a literal cannot express, such as {@code "\d{2}届"}. Compiled once at load; {@link Pattern} is
 * thread-safe, each search makes its own short-lived {@link java.util.regex.Matcher}.
 * <p>
 * Searching costs far more than the trie walk, so each expression may name guards: literals of which at
 * least one occurs in every text the expression can match. The expression is only searched in text that
 * contains a guard; a guard that is not in fact required makes the expression miss matches silently.
 *
 * @param pattern  the compiled expression, searched anywhere in the normalised text.
 * @param guards   literals of which the text must contain one before the pattern is searched; empty to
 *                 search every text.
 * @param audience true when {@code target} is an audience ordinal, false when it is an intent ordinal.
 * @param target   intent or audience ordinal.
 * @param weight   score added to {@code target} when the pattern is found.
 */
record RegexCue(Pattern pattern, String[] guards, boolean audience, int target, float weight)
{
    /**
     * @param text normalised text.
     * @return true when {@code text} contains one of the guards, or there are none.
     */
    boolean guardPasses(final String text)
    {
        final String[] guards = this.guards;
        if (guards.length == 0)
        {
            return true;
        }
        for (final String guard : guards)
        {
            if (text.contains(guard))
            {
                return true;
            }
        }
        return false;
    }
}
