package ivbot.perf;

import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.function.UnaryOperator;

/**
 * Finds the bearer token a run sends: {@code --token} as given, else an HS256 token with {@code sub=bench}
 * signed with the server's configured secret, looked up as {@code ivbot serve} does: the environment
 * variable {@code IVBOT_JWT_SECRET}, else the dev secret file ({@code $IVBOT_STATE_DIR/dev-jwt-secret},
 * default folder {@code ~/.ivbot}). Stateless.
 */
final class BenchTokens
{
    /** The environment variable holding the HS256 secret. */
    static final String SECRET_ENV = "IVBOT_JWT_SECRET";
    /** The environment variable that moves the dev secret's folder. */
    static final String STATE_DIR_ENV = "IVBOT_STATE_DIR";
    /** The subject of signed tokens. */
    static final String SUBJECT = "bench";
    /** The shortest HS256 secret the server accepts, in bytes. */
    static final int MIN_SECRET_BYTES = 32;

    private BenchTokens()
    {
    }

    /**
     * @param explicitToken  {@code --token}, or {@code null}.
     * @param devSecretFile  {@code --dev-secret-file}, or {@code null} for the default.
     * @param env            reads an environment variable ({@code System::getenv} outside tests).
     * @param validityMs     how long a signed token stays valid, in milliseconds.
     * @param nowMs          the wall clock in epoch milliseconds.
     * @return the compact token to send.
     * @throws IOException              when the dev secret file cannot be read.
     * @throws IllegalArgumentException when there is no secret or it is too short.
     */
    static String resolve(
        final String explicitToken,
        final Path devSecretFile,
        final UnaryOperator<String> env,
        final long validityMs,
        final long nowMs) throws IOException
    {
        if (explicitToken != null && !explicitToken.isEmpty())
        {
            return explicitToken;
        }
        final String secretText = env.apply(SECRET_ENV);
        if (secretText != null && !secretText.isEmpty())
        {
            return sign(secretText.getBytes(StandardCharsets.UTF_8), SECRET_ENV, validityMs, nowMs);
        }
        final Path file = devSecretFile != null ? devSecretFile : defaultDevSecretFile(env);
        if (!Files.isReadable(file))
        {
            throw new IllegalArgumentException("no token: pass --token, set " + SECRET_ENV
                + ", or run 'ivbot serve' once to make " + file);
        }
        final byte[] secret = Files.readString(file, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
        return sign(secret, file.toString(), validityMs, nowMs);
    }

    /**
     * @param env reads an environment variable.
     * @return {@code $IVBOT_STATE_DIR/dev-jwt-secret}, or {@code ~/.ivbot/dev-jwt-secret}.
     */
    static Path defaultDevSecretFile(final UnaryOperator<String> env)
    {
        final String dir = env.apply(STATE_DIR_ENV);
        return (dir != null && !dir.isEmpty() ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".ivbot"))
            .resolve("dev-jwt-secret");
    }

    /**
     * @param secret     the HS256 secret, at least {@link #MIN_SECRET_BYTES} bytes.
     * @param origin     where the secret came from, named in the error.
     * @param validityMs the token's validity in milliseconds.
     * @param nowMs      the wall clock in epoch milliseconds.
     * @return a compact HS256 JWS with {@code sub=bench}, {@code iat} and {@code exp}.
     */
    static String sign(final byte[] secret, final String origin, final long validityMs, final long nowMs)
    {
        if (secret.length < MIN_SECRET_BYTES)
        {
            throw new IllegalArgumentException("secret from " + origin + " is " + secret.length
                + " bytes (expected: at least " + MIN_SECRET_BYTES + ")");
        }
        return Jwts.builder()
            .subject(SUBJECT)
            .issuedAt(new Date(nowMs))
            .expiration(new Date(nowMs + validityMs))
            .signWith(Keys.hmacShaKeyFor(secret), Jwts.SIG.HS256)
            .compact();
    }
}
