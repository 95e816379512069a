package ivbot.server.http;

import io.netty.handler.codec.http.HttpMethod;
import ivbot.server.ChatException;
import ivbot.server.auth.Principal;
import ivbot.server.intent.CanaryController;
import ivbot.server.intent.CanaryStatusJson;

import java.util.concurrent.CompletableFuture;

/**
 * Steering model releases, for a token with the {@value Principal#ADMIN} role only:
 * <pre>
 *   GET  /v1/admin/model            the canary's status (see {@link CanaryStatusJson})
 *   POST /v1/admin/model/promote    the candidate becomes stable now
 *   POST /v1/admin/model/rollback   the candidate stops serving now
 *   POST /v1/admin/model/pause      the soak holds: no automatic promotion or rollback
 *   POST /v1/admin/model/resume     the soak goes on
 * </pre>
 * A command answers the status after it; one with nothing to act on (no candidate, not paused) is 409. With canaries
 * off ({@code --canary off}, or no model) the status is {@code {"state": "off"}} and every command is 404, for any
 * valid token. Stateless.
 */
final class AdminRoute implements HttpRoute
{
    private static final String PREFIX = "/v1/admin/model";

    private final CanaryController canary;

    AdminRoute(final CanaryController canary)
    {
        this.canary = canary;
    }

    @Override
    public boolean matches(final String path)
    {
        return path.equals(PREFIX) || path.startsWith(PREFIX + "/");
    }

    @Override
    public CompletableFuture<HttpAnswer> answer(final HttpExchange exchange)
    {
        final String command = exchange.path.equals(PREFIX) ? "" : exchange.path.substring(PREFIX.length() + 1);
        exchange.requireMethod(command.isEmpty() ? HttpMethod.GET : HttpMethod.POST);
        final Principal principal = exchange.authenticate();
        if (canary == null)
        {
            if (command.isEmpty())
            {
                // the operator page asks any server: one without canaries says so rather than failing
                return CompletableFuture.completedFuture(new HttpAnswer.Status(200, "state", "off"));
            }
            throw ChatException.notFound("canary releases are off (--canary off, or no model)");
        }
        if (!principal.hasRole(Principal.ADMIN))
        {
            throw ChatException.forbidden("model releases need a token with the '" + Principal.ADMIN + "' role");
        }
        final boolean acted = switch (command)
        {
            case "" -> true;
            case "promote" -> canary.promoteNow() != null;
            case "rollback" -> canary.rollbackNow() != null;
            case "pause" -> canary.pause();
            case "resume" -> canary.resume();
            default -> throw ChatException.notFound("no such model command '" + command
                + "' (expected: promote, rollback, pause or resume)");
        };
        if (!acted)
        {
            throw ChatException.conflict("nothing to " + command + ": state " + canary.status().state().name().toLowerCase(
                java.util.Locale.ROOT) + ", candidate " + canary.status().candidateVersion());
        }
        return CompletableFuture.completedFuture(new HttpAnswer.JsonText(200, CanaryStatusJson.write(canary.status())));
    }
}
