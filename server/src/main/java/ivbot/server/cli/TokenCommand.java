package ivbot.server.cli;

import ivbot.inference.Audience;
import ivbot.server.auth.JwtSecrets;
import ivbot.server.auth.TokenIssuer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code ivbot token --sub NAME [--track T] [--ttl 1h]}: prints an HS256 token signed with the configured
 * secret ({@code IVBOT_JWT_SECRET}, else the dev secret file).
 */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Print a signed JWT for testing and dev use.")
final class TokenCommand implements Callable<Integer>
{
    @Option(names = "--sub", required = true, description = "Subject (user id).")
    String subject;

    @Option(names = "--track", description = "Default audience: campus, experienced or intern.")
    String track;

    @Option(names = "--ttl", defaultValue = "1h", description = "Validity, e.g. 30m, 1h, 7d (default: ${DEFAULT-VALUE}).")
    String ttl;

    @Option(names = "--role", split = ",", description = "Role(s) for the roles claim, e.g. ops (operator figures and admin operations).")
    java.util.List<String> roles = new java.util.ArrayList<>();

    @Option(names = "--canary", description = "Add \"canary\": true: the holder is answered by a model candidate while one serves.")
    boolean canary;

    @Option(names = "--dev-secret-file", description = "Dev secret file (default: ~/.ivbot/dev-jwt-secret).")
    Path devSecretFile;

    @Override
    public Integer call() throws Exception
    {
        Audience audience = null;
        if (track != null)
        {
            audience = Audience.fromId(track);
            if (audience == null)
            {
                System.err.println("--track=" + track + " (expected: campus, experienced or intern)");
                return 2;
            }
        }
        byte[] secret = JwtSecrets.fromEnvironment();
        if (secret == null)
        {
            final Path file = devSecretFile != null ? devSecretFile : JwtSecrets.defaultDevSecretFile();
            if (!Files.exists(file))
            {
                System.err.println("no secret: set " + JwtSecrets.ENV + " or run 'ivbot serve' once to make " + file);
                return 2;
            }
            secret = JwtSecrets.readDevSecret(file);
        }
        try
        {
            System.out.println(new TokenIssuer(secret).issue(subject, audience, roles, canary, Durations.parse(ttl), System.currentTimeMillis()));
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println(ex.getMessage());
            return 2;
        }
        return 0;
    }
}
