package ivbot.perf;

import java.util.concurrent.TimeUnit;

/**
 * Parses the harness's durations: a decimal number followed by {@code us}, {@code ms}, {@code s},
 * {@code m} or {@code h} ({@code 250us}, {@code 25ms}, {@code 1.5s}, {@code 30s}, {@code 2m}); a bare
 * number is seconds. Stateless.
 */
final class Durations
{
    private Durations()
    {
    }

    /**
     * @param name the setting being parsed, named in the error.
     * @param text the text.
     * @return the duration in nanoseconds, at least 0.
     * @throws IllegalArgumentException when the text is not a duration or is negative.
     */
    static long parseNs(final String name, final String text)
    {
        if (text == null || text.isBlank())
        {
            throw new IllegalArgumentException(name + "=" + text + " (expected: a duration such as 25ms, 30s, 2m)");
        }
        final String trimmed = text.trim();
        int unitStart = trimmed.length();
        while (unitStart > 0 && Character.isLetter(trimmed.charAt(unitStart - 1)))
        {
            unitStart--;
        }
        final String unit = trimmed.substring(unitStart);
        final double amount;
        try
        {
            amount = Double.parseDouble(trimmed.substring(0, unitStart));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + "=" + text + " (expected: a duration such as 25ms, 30s, 2m)");
        }
        final long unitNs;
        switch (unit)
        {
            case "us":
                unitNs = TimeUnit.MICROSECONDS.toNanos(1);
                break;
            case "ms":
                unitNs = TimeUnit.MILLISECONDS.toNanos(1);
                break;
            case "":
            case "s":
                unitNs = TimeUnit.SECONDS.toNanos(1);
                break;
            case "m":
                unitNs = TimeUnit.MINUTES.toNanos(1);
                break;
            case "h":
                unitNs = TimeUnit.HOURS.toNanos(1);
                break;
            default:
                throw new IllegalArgumentException(name + "=" + text + " (expected: unit us, ms, s, m or h)");
        }
        if (!(amount >= 0) || Double.isInfinite(amount))
        {
            throw new IllegalArgumentException(name + "=" + text + " (expected: >= 0)");
        }
        return Math.round(amount * unitNs);
    }

    /**
     * @param ns a duration in nanoseconds.
     * @return a short form for output, e.g. {@code 30s}, {@code 500ms}.
     */
    static String format(final long ns)
    {
        if (ns % 1_000_000_000L == 0)
        {
            return (ns / 1_000_000_000L) + "s";
        }
        if (ns % 1_000_000L == 0)
        {
            return (ns / 1_000_000L) + "ms";
        }
        return (ns / 1_000L) + "us";
    }
}
