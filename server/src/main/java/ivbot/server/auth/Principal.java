package ivbot.server.auth;

import ivbot.inference.Audience;

/**
 * An authenticated caller: the token's {@code sub}, its optional {@code track} claim and its expiry.
 *
 * @param subject          the user id ({@code sub}).
 * @param track            the default audience from the {@code track} claim, or {@code null}.
 * @param expiresAtEpochMs the token's {@code exp} in epoch milliseconds, or {@link Long#MAX_VALUE}.
 */
public record Principal(String subject, Audience track, long expiresAtEpochMs)
{
}
