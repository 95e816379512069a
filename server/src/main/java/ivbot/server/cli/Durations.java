package ivbot.server.cli;

import java.time.Duration;

/**
 * Parses durations such as {@code 90s}, {@code 30m}, {@code 1h}, {@code 7d}.
 */
final class Durations
{
    private Durations()
    {
    }

    static Duration parse(final String text)
    {
        if (text == null || text.length() < 2)
        {
            throw new IllegalArgumentException("duration '" + text + "' (expected: a number and s, m, h or d, e.g. 1h)");
        }
        final long amount;
        try
        {
            amount = Long.parseLong(text.substring(0, text.length() - 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("duration '" + text + "' (expected: a number and s, m, h or d, e.g. 1h)");
        }
        if (amount <= 0)
        {
            throw new IllegalArgumentException("duration '" + text + "' (expected: > 0)");
        }
        switch (text.charAt(text.length() - 1))
        {
            case 's':
                return Duration.ofSeconds(amount);
            case 'm':
                return Duration.ofMinutes(amount);
            case 'h':
                return Duration.ofHours(amount);
            case 'd':
                return Duration.ofDays(amount);
            default:
                throw new IllegalArgumentException("duration '" + text + "' (expected: a number and s, m, h or d, e.g. 1h)");
        }
    }
}
