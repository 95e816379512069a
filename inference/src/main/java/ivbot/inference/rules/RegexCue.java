package ivbot.inference.rules;

import java.util.regex.Pattern;

/**
 * A cue that a literal cannot express, such as {@code "\d{2}届"}. Compiled once at load; {@link Pattern} is
 * thread-safe, each match makes its own short-lived {@link java.util.regex.Matcher}.
 *
 * @param pattern  the compiled expression, searched anywhere in the normalised text.
 * @param audience true when {@code target} is an audience ordinal, false when it is an intent ordinal.
 * @param target   intent or audience ordinal.
 * @param weight   score added to {@code target} when the pattern is found.
 */
record RegexCue(Pattern pattern, boolean audience, int target, float weight)
{
}
