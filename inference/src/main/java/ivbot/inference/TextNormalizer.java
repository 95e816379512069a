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
        return Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT).strip();
    }
}
