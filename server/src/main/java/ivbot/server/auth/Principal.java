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
 * @param canary           the {@code canary} claim: a tester always answered by a model candidate while one serves.
 */
public record Principal(String subject, Audience track, long expiresAtEpochMs, Set<String> roles, boolean canary)
{
    /** The role that may read operator figures. */
    public static final String OPS = "ops";
    /** The role that may steer model releases (promote, roll back, pause). */
    public static final String ADMIN = "admin";

    /**
     * A caller outside the canary testers.
     *
     * @param subject          the user id.
     * @param track            the default audience, or {@code null}.
     * @param expiresAtEpochMs the expiry in epoch milliseconds.
     * @param roles            the roles granted.
     */
    public Principal(final String subject, final Audience track, final long expiresAtEpochMs, final Set<String> roles)
    {
        this(subject, track, expiresAtEpochMs, roles, false);
    }

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
