package ivbot.server.auth;

import io.jsonwebtoken.Jwts;
import ivbot.inference.Audience;

import java.time.Duration;
import java.util.List;
import java.util.Date;
import javax.crypto.SecretKey;

/**
 * Signs HS256 tokens for the dev flow and the {@code token} command. Thread-safe.
 */
public final class TokenIssuer
{
    private final SecretKey key;

    /**
     * @param secret the HS256 secret, at least 32 bytes.
     */
    public TokenIssuer(final byte[] secret)
    {
        this.key = JwtAuthenticator.hmacKey(secret);
    }

    /**
     * @param subject the user id for {@code sub}.
     * @param track   the audience for the {@code track} claim, or {@code null} for none.
     * @param ttl     how long the token is valid from now.
     * @param nowMs   the current time in epoch milliseconds.
     * @return the compact JWS.
     */
    public String issue(final String subject, final Audience track, final Duration ttl, final long nowMs)
    {
        return issue(subject, track, List.of(), ttl, nowMs);
    }

    /**
     * @param subject the user id for {@code sub}.
     * @param track   the audience for the {@code track} claim, or {@code null} for none.
     * @param roles   the {@code roles} claim, e.g. {@code ["ops"]}; none when empty.
     * @param ttl     how long the token is valid from now.
     * @param nowMs   the current time in epoch milliseconds.
     * @return the compact JWS.
     */
    public String issue(final String subject, final Audience track, final List<String> roles, final Duration ttl,
        final long nowMs)
    {
        return issue(subject, track, roles, false, ttl, nowMs);
    }

    /**
     * @param subject the user id for {@code sub}.
     * @param track   the audience for the {@code track} claim, or {@code null} for none.
     * @param roles   the {@code roles} claim, e.g. {@code ["ops"]}; none when empty.
     * @param canary  whether to add {@code "canary": true} (a tester answered by a model candidate).
     * @param ttl     how long the token is valid from now.
     * @param nowMs   the current time in epoch milliseconds.
     * @return the compact JWS.
     */
    public String issue(final String subject, final Audience track, final List<String> roles, final boolean canary,
        final Duration ttl, final long nowMs)
    {
        final var builder = Jwts.builder()
            .subject(subject)
            .issuedAt(new Date(nowMs))
            .expiration(new Date(nowMs + ttl.toMillis()));
        if (track != null)
        {
            builder.claim("track", track.id());
        }
        if (!roles.isEmpty())
        {
            builder.claim("roles", roles);
        }
        if (canary)
        {
            builder.claim("canary", true);
        }
        return builder.signWith(key, Jwts.SIG.HS256).compact();
    }
}
