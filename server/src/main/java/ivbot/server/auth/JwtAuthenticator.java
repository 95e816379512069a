package ivbot.server.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.jsonwebtoken.Claims;
import io.jsonwebtoken.ExpiredJwtException;
import io.jsonwebtoken.Jws;
import io.jsonwebtoken.JwtException;
import io.jsonwebtoken.JwtParser;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.PrematureJwtException;
import io.jsonwebtoken.security.Keys;
import ivbot.inference.Audience;
import ivbot.server.ChatException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.Date;
import java.util.function.LongSupplier;
import javax.crypto.SecretKey;

/**
 * Verifies bearer tokens with jjwt: HS256 with a shared secret, or RS256/ES256 with a public key. The
 * token's header algorithm must be exactly the configured one, so {@code alg: none}, a foreign algorithm
 * and an RSA public key used as an HMAC secret are all refused.
 * <p>
 * Stricter than the JWT specification allows a verifier to be, since one issuer makes all tokens:
 * <ul>
 *   <li>each of the three parts is canonical unpadded base64url (no {@code =}, no other alphabet, no stray
 *       bits in the last character), so one token has exactly one spelling;</li>
 *   <li>{@code exp} is required; {@code exp}, {@code iat} and {@code nbf} must be JSON numbers;</li>
 *   <li>{@code iat} may not lie in the future beyond the clock allowance ({@value #CLOCK_SKEW_SECONDS} s);</li>
 *   <li>{@code roles}, when present, is an array of strings (or one string).</li>
 *   <li>{@code canary}, when present, is a boolean: {@code true} makes the caller a tester of a model candidate.</li>
 * </ul>
 * <p>
 * Verified tokens are cached (bounded) so a conversation's later turns skip the signature check; a cache
 * hit still checks the expiry. Thread-safe; called on event loops.
 */
public final class JwtAuthenticator
{
    /**
     * Tokens longer than this are refused before any parsing.
     */
    public static final int MAX_TOKEN_LENGTH = 4096;

    /**
     * The smallest HS256 secret accepted, in bytes.
     */
    public static final int MIN_SECRET_BYTES = 32;

    /** The clock allowance for {@code exp}, {@code nbf} and {@code iat}, in seconds. */
    public static final long CLOCK_SKEW_SECONDS = 30;

    private static final JsonFactory JSON = new JsonFactory();
    private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();
    private static final Base64.Encoder BASE64URL_ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final JwtParser parser;
    private final String algorithm;
    private final LongSupplier clockMs;
    private final Cache<String, Principal> verified = Caffeine.newBuilder()
        .executor(Runnable::run)
        .maximumSize(10_000)
        .expireAfterWrite(Duration.ofMinutes(5))
        .build();

    private JwtAuthenticator(final Key key, final String algorithm, final LongSupplier clockMs)
    {
        this.algorithm = algorithm;
        this.clockMs = clockMs;
        final var builder = Jwts.parser().clockSkewSeconds(CLOCK_SKEW_SECONDS).clock(() -> new Date(clockMs.getAsLong()));
        if (key instanceof SecretKey)
        {
            builder.verifyWith((SecretKey)key);
        }
        else
        {
            builder.verifyWith((PublicKey)key);
        }
        this.parser = builder.build();
    }

    /**
     * @param secret  the HS256 secret, at least {@link #MIN_SECRET_BYTES} bytes.
     * @param clockMs the wall clock in epoch milliseconds.
     * @return an authenticator for HS256 tokens.
     */
    public static JwtAuthenticator hmac(final byte[] secret, final LongSupplier clockMs)
    {
        return new JwtAuthenticator(hmacKey(secret), "HS256", clockMs);
    }

    /**
     * @param secret the HS256 secret.
     * @return the jjwt key for it.
     * @throws IllegalArgumentException when the secret is shorter than {@link #MIN_SECRET_BYTES}.
     */
    public static SecretKey hmacKey(final byte[] secret)
    {
        if (secret.length < MIN_SECRET_BYTES)
        {
            throw new IllegalArgumentException(
                "IVBOT_JWT_SECRET is " + secret.length + " bytes (expected: at least " + MIN_SECRET_BYTES + ")");
        }
        return Keys.hmacShaKeyFor(secret);
    }

    /**
     * @param pemFile a PEM file holding an X.509 {@code PUBLIC KEY}: RSA for RS256, EC P-256 for ES256.
     * @param clockMs the wall clock in epoch milliseconds.
     * @return an authenticator for RS256 or ES256 tokens.
     * @throws IOException when the file cannot be read or holds no usable key.
     */
    public static JwtAuthenticator publicKey(final Path pemFile, final LongSupplier clockMs) throws IOException
    {
        final PublicKey key = readPublicKey(pemFile);
        return new JwtAuthenticator(key, key instanceof RSAPublicKey ? "RS256" : "ES256", clockMs);
    }

    private static PublicKey readPublicKey(final Path pemFile) throws IOException
    {
        final String pem = Files.readString(pemFile, StandardCharsets.US_ASCII);
        final String base64 = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        final X509EncodedKeySpec spec;
        try
        {
            spec = new X509EncodedKeySpec(Base64.getDecoder().decode(base64));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IOException("jwt public key " + pemFile + " is not a PEM PUBLIC KEY", ex);
        }
        for (final String type : new String[] {"RSA", "EC"})
        {
            try
            {
                final PublicKey key = KeyFactory.getInstance(type).generatePublic(spec);
                if (key instanceof RSAPublicKey || key instanceof ECPublicKey)
                {
                    return key;
                }
            }
            catch (final GeneralSecurityException ignore)
            {
                // try the next key type
            }
        }
        throw new IOException("jwt public key " + pemFile + " is neither an RSA nor an EC public key");
    }

    /**
     * @return the one algorithm tokens must use: {@code HS256}, {@code RS256} or {@code ES256}.
     */
    public String algorithm()
    {
        return algorithm;
    }

    /**
     * Verifies a token and returns its caller.
     *
     * @param token the compact JWS, without the {@code Bearer } prefix.
     * @return the caller.
     * @throws ChatException 401 with message {@code "token expired"} for an expired token, and a 401
     *                       naming the problem for any other bad token.
     */
    public Principal authenticate(final String token)
    {
        if (token == null || token.isEmpty())
        {
            throw ChatException.unauthorized("missing bearer token");
        }
        if (token.length() > MAX_TOKEN_LENGTH)
        {
            throw ChatException.unauthorized("token too large");
        }
        final Principal cached = verified.getIfPresent(token);
        if (cached != null)
        {
            if (cached.expiresAtEpochMs() + CLOCK_SKEW_SECONDS * 1000 <= clockMs.getAsLong())
            {
                verified.invalidate(token);
                throw ChatException.unauthorized("token expired");
            }
            return cached;
        }
        final Principal principal = verify(token);
        verified.put(token, principal);
        return principal;
    }

    private Principal verify(final String token)
    {
        checkCompactForm(token);
        final Jws<Claims> jws;
        try
        {
            jws = parser.parseSignedClaims(token);
        }
        catch (final ExpiredJwtException ex)
        {
            throw ChatException.unauthorized("token expired");
        }
        catch (final PrematureJwtException ex)
        {
            throw ChatException.unauthorized("token not yet valid");
        }
        catch (final JwtException | IllegalArgumentException ex)
        {
            throw ChatException.unauthorized("invalid token");
        }
        if (!algorithm.equals(jws.getHeader().getAlgorithm()))
        {
            throw ChatException.unauthorized("invalid token: algorithm must be " + algorithm);
        }
        final Claims claims = jws.getPayload();
        final String subject = claims.getSubject();
        if (subject == null || subject.isBlank())
        {
            throw ChatException.unauthorized("invalid token: no subject");
        }
        Audience track = null;
        final Object trackClaim = claims.get("track");
        if (trackClaim != null)
        {
            track = Audience.fromId(trackClaim.toString());
            if (track == null)
            {
                throw ChatException.unauthorized("invalid token: track must be campus, experienced or intern");
            }
        }
        final Date exp = claims.getExpiration();
        if (exp == null)
        {
            throw ChatException.unauthorized("invalid token: no exp");
        }
        final Date iat = claims.getIssuedAt();
        if (iat != null && iat.getTime() > clockMs.getAsLong() + CLOCK_SKEW_SECONDS * 1000)
        {
            throw ChatException.unauthorized("invalid token: issued in the future");
        }
        final Object canary = claims.get("canary");
        if (canary != null && !(canary instanceof Boolean))
        {
            throw ChatException.unauthorized("invalid token: canary must be true or false");
        }
        return new Principal(subject, track, exp.getTime(), roles(claims.get("roles")), Boolean.TRUE.equals(canary));
    }

    private static Set<String> roles(final Object claim)
    {
        if (claim == null)
        {
            return Set.of();
        }
        if (claim instanceof String)
        {
            return Set.of((String)claim);
        }
        if (claim instanceof Collection)
        {
            final Set<String> roles = new HashSet<>();
            for (final Object role : (Collection<?>)claim)
            {
                if (!(role instanceof String))
                {
                    throw ChatException.unauthorized("invalid token: roles must be strings");
                }
                roles.add((String)role);
            }
            return Set.copyOf(roles);
        }
        throw ChatException.unauthorized("invalid token: roles must be an array of strings");
    }

    /**
     * Refuses what jjwt would accept but one issuer never makes: padded or otherwise non-canonical
     * base64url, and dates that are not JSON numbers (jjwt also reads ISO-8601 strings).
     */
    private static void checkCompactForm(final String token)
    {
        final int first = token.indexOf('.');
        final int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (first <= 0 || second <= first + 1 || second == token.length() - 1 || token.indexOf('.', second + 1) >= 0)
        {
            throw ChatException.unauthorized("invalid token: not a compact JWS");
        }
        byte[] payload = null;
        for (int part = 0, from = 0; part < 3; part++)
        {
            final int to = part == 0 ? first : part == 1 ? second : token.length();
            final String text = token.substring(from, to);
            final byte[] bytes;
            try
            {
                bytes = BASE64URL.decode(text);
            }
            catch (final IllegalArgumentException ex)
            {
                throw ChatException.unauthorized("invalid token: not base64url");
            }
            if (text.indexOf('=') >= 0 || !BASE64URL_ENCODER.encodeToString(bytes).equals(text))
            {
                throw ChatException.unauthorized("invalid token: non-canonical base64url");
            }
            if (part == 1)
            {
                payload = bytes;
            }
            from = to + 1;
        }
        checkNumericDates(payload);
    }

    private static void checkNumericDates(final byte[] payload)
    {
        try (JsonParser parser = JSON.createParser(payload))
        {
            if (parser.nextToken() != JsonToken.START_OBJECT)
            {
                throw ChatException.unauthorized("invalid token: claims are not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME)
            {
                final String name = parser.currentName();
                final JsonToken value = parser.nextToken();
                if (("exp".equals(name) || "iat".equals(name) || "nbf".equals(name)) &&
                    value != JsonToken.VALUE_NUMBER_INT && value != JsonToken.VALUE_NUMBER_FLOAT)
                {
                    throw ChatException.unauthorized("invalid token: " + name + " must be a number");
                }
                parser.skipChildren();
            }
        }
        catch (final IOException ex)
        {
            throw ChatException.unauthorized("invalid token: claims are not JSON");
        }
    }
}
