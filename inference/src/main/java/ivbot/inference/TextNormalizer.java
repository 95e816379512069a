package ivbot.inference;

import java.text.Normalizer;
import java.util.Locale;

/**
 * Normalises a user's query before any classifier sees it: Unicode NFKC (full-width Latin and digits
 * become ASCII, compatibility ideographs become their unified forms) followed by lower-casing, so that
 * {@code "ＨＲ"}, {@code "HR"} and {@code "hr"} read the same. Stateless and thread-safe.
 */
public final class TextNormalizer
{
    private TextNormalizer()
    {
    }

    /**
     * @param text a query as the user typed it, not {@code null}.
     * @return the NFKC, lower-cased form of {@code text}, with surrounding white space removed.
     */
    public static String normalize(final String text)
    {
        return isStable(text) ? text.strip() : normalizeFully(text);
    }

    static String normalizeFully(final String text)
    {
        return Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT).strip();
    }

    /**
     * Whether NFKC and lower-casing leave {@code text} as it is, decided by a scan that is much cheaper
     * than running them: true when every character is ASCII other than {@code A-Z}, or a CJK unified
     * ideograph (U+4E00 to U+9FFF). None of those has a decomposition, a case mapping, or a part in a
     * canonical composition, so no sequence of them changes either. Most queries are of this kind.
     */
    private static boolean isStable(final String text)
    {
        for (int i = 0, length = text.length(); i < length; i++)
        {
            final char c = text.charAt(i);
            if (c < 0x80)
            {
                if (c >= 'A' && c <= 'Z')
                {
                    return false;
                }
            }
            else if (c < 0x4E00 || c > 0x9FFF)
            {
                return false;
            }
        }
        return true;
    }
}
