package ivbot.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Finds the HS256 secret: the environment variable {@code IVBOT_JWT_SECRET} when set, else the dev
 * secret file (default {@code ~/.ivbot/dev-jwt-secret}), made with mode 0600 on first use by
 * {@code serve}.
 */
public final class JwtSecrets
{
    /**
     * The environment variable holding the shared secret (UTF-8, at least 32 bytes).
     */
    public static final String ENV = "IVBOT_JWT_SECRET";

    private JwtSecrets()
    {
    }

    /**
     * @return the default dev secret file: {@code $IVBOT_STATE_DIR/dev-jwt-secret}, or
     * {@code ~/.ivbot/dev-jwt-secret} when that variable is unset.
     */
    public static Path defaultDevSecretFile()
    {
        final String dir = System.getenv("IVBOT_STATE_DIR");
        return (dir != null && !dir.isEmpty() ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".ivbot"))
            .resolve("dev-jwt-secret");
    }

    /**
     * @return the configured secret from {@code IVBOT_JWT_SECRET}, or {@code null} when it is unset.
     */
    public static byte[] fromEnvironment()
    {
        final String value = System.getenv(ENV);
        return value == null || value.isEmpty() ? null : value.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads the dev secret file, making it (mode 0600, 32 random bytes in base64url) when absent.
     *
     * @param file the dev secret file.
     * @return the secret's bytes.
     * @throws IOException when the file can be neither read nor made.
     */
    public static byte[] loadOrCreateDevSecret(final Path file) throws IOException
    {
        if (!Files.exists(file))
        {
            final Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            final byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            final String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            try
            {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
            }
            catch (final FileAlreadyExistsException raced)
            {
                // another process made it first: read theirs
            }
        }
        return readDevSecret(file);
    }

    /**
     * @param file the dev secret file.
     * @return its secret's bytes.
     * @throws IOException when it cannot be read.
     */
    public static byte[] readDevSecret(final Path file) throws IOException
    {
        return Files.readString(file, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
    }
}
