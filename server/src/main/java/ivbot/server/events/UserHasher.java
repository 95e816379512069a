package ivbot.server.events;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.HexFormat;

/**
 * The keyed hash events carry instead of a user's id: HMAC-SHA256 of the token's {@code sub}, its first 16
 * bytes in hex. The same user gives the same hash under one key, so a conversation's turns and a user's
 * sessions can be counted together, and without the key nobody can test a guessed id against it.
 * <p>
 * Thread-safe: one {@link Mac} per thread.
 */
public final class UserHasher
{
    private static final int HASH_BYTES = 16;

    private final ThreadLocal<Mac> mac;

    /**
     * @param key the secret key, at least 32 bytes.
     */
    public UserHasher(final byte[] key)
    {
        if (key.length < 32)
        {
            throw new IllegalArgumentException("key is " + key.length + " bytes (expected: at least 32)");
        }
        final SecretKeySpec spec = new SecretKeySpec(key.clone(), "HmacSHA256");
        this.mac = ThreadLocal.withInitial(() ->
        {
            try
            {
                final Mac m = Mac.getInstance("HmacSHA256");
                m.init(spec);
                return m;
            }
            catch (final GeneralSecurityException ex)
            {
                throw new IllegalStateException("HmacSHA256 unavailable", ex);
            }
        });
    }

    /**
     * @param subject a token's {@code sub}.
     * @return its keyed hash, 32 hex digits.
     */
    public String hash(final String subject)
    {
        final byte[] digest = mac.get().doFinal(subject.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, HASH_BYTES);
    }
}
