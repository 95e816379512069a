package ivbot.server.auth;

import java.util.Set;
import ivbot.inference.Audience;

/**
 * An authenticated caller: the token's {@code sub}, its optional {@code track} claim, its expiry and its
 * roles (the {@code roles} claim).
 *
 * @param subject          the user id ({@code sub}).
 * @param track            the default audience from the {@code track} claim, or {@code null}.
 * @param expiresAtEpochMs the token's {@code exp} in epoch milliseconds.
 * @param roles            the roles granted, e.g. {@value #OPS}; empty for a candidate.
 */
public record Principal(String subject, Audience track, long expiresAtEpochMs, Set<String> roles)
{
    /** The role that may read operator figures and run admin operations. */
    public static final String OPS = "ops";

    /**
     * A caller without roles.
     *
     * @param subject          the user id.
     * @param track            the default audience, or {@code null}.
     * @param expiresAtEpochMs the expiry in epoch milliseconds.
     */
    public Principal(final String subject, final Audience track, final long expiresAtEpochMs)
    {
        this(subject, track, expiresAtEpochMs, Set.of());
    }

    /**
     * @param role a role name.
     * @return whether the token grants it.
     */
    public boolean hasRole(final String role)
    {
        return roles.contains(role);
    }
}
