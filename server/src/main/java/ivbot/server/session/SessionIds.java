package ivbot.server.session;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Makes and checks session ids: 8 to 64 characters of {@code [A-Za-z0-9_-]}. New ids carry 128 random
 * bits, base64url-encoded (22 characters). Thread-safe.
 */
public final class SessionIds
{
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private SessionIds()
    {
    }

    /**
     * @return a new random session id.
     */
    public static String newId()
    {
        final byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return BASE64URL.encodeToString(bytes);
    }

    /**
     * @param id a candidate id, may be {@code null}.
     * @return true when {@code id} is 8 to 64 characters of {@code [A-Za-z0-9_-]}.
     */
    public static boolean isWellFormed(final String id)
    {
        if (id == null || id.length() < 8 || id.length() > 64)
        {
            return false;
        }
        for (int i = 0; i < id.length(); i++)
        {
            final char c = id.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @param id a session id.
     * @return its store key, {@code s:{id}}.
     */
    public static String key(final String id)
    {
        return "s:" + id;
    }
}
