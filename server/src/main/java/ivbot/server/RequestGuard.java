package ivbot.server;

import io.netty.util.NetUtil;
import ivbot.server.auth.JwtAuthenticator;
import ivbot.server.auth.Principal;
import ivbot.server.limit.RateLimiter;
import ivbot.server.metrics.ServerMetrics;
import ivbot.server.metrics.Stage;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The front every request passes, whatever its transport (HTTP or protobuf frames): who the client is
 * (its address, through a trusted proxy's {@code X-Forwarded-For}), whether that address and that user are
 * within their request rates, and the token check with its latency recorded. One place, so the two
 * transports cannot drift apart.
 * <p>
 * Thread-safe; called on event loops. Refusals are {@link ChatException}s: 401 for a bad token, 429
 * {@code rate_limited} with the seconds until a retry can succeed.
 */
public final class RequestGuard
{
    private final JwtAuthenticator authenticator;
    private final ServerMetrics metrics;
    private final RateLimiter perUser;
    private final RateLimiter perAddress;
    private final Set<InetAddress> trustedProxies;
    private final LongSupplier clockMs;

    /**
     * @param authenticator  the token verifier.
     * @param metrics        where the auth stage's latency goes.
     * @param perUser        request rate per token subject.
     * @param perAddress     request rate per client address.
     * @param trustedProxies peers whose {@code X-Forwarded-For} names the client (its last entry).
     * @param clockMs        the wall clock in epoch milliseconds, for token expiry.
     */
    public RequestGuard(final JwtAuthenticator authenticator, final ServerMetrics metrics, final RateLimiter perUser,
        final RateLimiter perAddress, final Set<InetAddress> trustedProxies, final LongSupplier clockMs)
    {
        this.authenticator = authenticator;
        this.metrics = metrics;
        this.perUser = perUser;
        this.perAddress = perAddress;
        this.trustedProxies = Set.copyOf(trustedProxies);
        this.clockMs = clockMs;
    }

    /**
     * The client of a connection: the peer, or where a trusted proxy says the request came from.
     *
     * @param remote       the connection's peer address.
     * @param forwardedFor the request's {@code X-Forwarded-For}, or {@code null}.
     * @return the client's address, or {@code null} when unknown (not an IP socket).
     */
    public InetAddress clientAddress(final SocketAddress remote, final String forwardedFor)
    {
        if (!(remote instanceof InetSocketAddress))
        {
            return null;
        }
        final InetAddress peer = ((InetSocketAddress)remote).getAddress();
        if (forwardedFor == null || peer == null || !trustedProxies.contains(peer))
        {
            return peer;
        }
        // the proxy appends the address it saw last; earlier entries are whatever the client claimed
        final String last = forwardedFor.substring(forwardedFor.lastIndexOf(',') + 1).strip();
        final InetAddress client = NetUtil.createInetAddressFromIpAddressString(last);
        return client != null ? client : peer;
    }

    /**
     * @param client the client's address, or {@code null}.
     * @throws ChatException 429 when the address is over its rate.
     */
    public void admitAddress(final InetAddress client)
    {
        if (client != null)
        {
            refuseWhenLimited(perAddress.acquire(client), "too many requests from this address");
        }
    }

    /**
     * Verifies a token, then charges its user's rate.
     *
     * @param token the compact JWS.
     * @return the caller.
     * @throws ChatException 401 for a bad token, 429 when the user is over its rate.
     */
    public Principal authenticate(final String token)
    {
        final long startNs = System.nanoTime();
        final Principal principal;
        try
        {
            principal = authenticator.authenticate(token);
        }
        finally
        {
            metrics.record(Stage.AUTH, (System.nanoTime() - startNs) / 1000);
        }
        admitUser(principal);
        return principal;
    }

    /**
     * Charges a known caller's rate (a protobuf connection authenticated once) after checking its token
     * has not expired since.
     *
     * @param principal the caller.
     * @return the caller.
     * @throws ChatException 401 {@code token expired}, 429 when over its rate.
     */
    public Principal admit(final Principal principal)
    {
        if (principal.expiresAtEpochMs() + JwtAuthenticator.CLOCK_SKEW_SECONDS * 1000 <= clockMs.getAsLong())
        {
            throw ChatException.unauthorized("token expired");
        }
        admitUser(principal);
        return principal;
    }

    private void admitUser(final Principal principal)
    {
        refuseWhenLimited(perUser.acquire(principal.subject()), "too many requests for this user");
    }

    private static void refuseWhenLimited(final long waitNs, final String message)
    {
        if (waitNs > 0)
        {
            final long seconds = Math.max(1, (waitNs + 999_999_999L) / 1_000_000_000L);
            throw ChatException.tooManyRequests(message + "; retry in " + seconds + " s", seconds);
        }
    }

    /**
     * @return requests refused for their user's rate so far.
     */
    public long limitedByUser()
    {
        return perUser.limited();
    }

    /**
     * @return requests refused for their address's rate so far.
     */
    public long limitedByAddress()
    {
        return perAddress.limited();
    }
}
