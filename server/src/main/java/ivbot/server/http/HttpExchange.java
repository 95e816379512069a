package ivbot.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.util.concurrent.FastThreadLocal;
import ivbot.server.ChatException;
import ivbot.server.RequestGuard;
import ivbot.server.auth.Principal;

import java.net.InetAddress;

/**
 * One request on its way through the routes: the raw path, the client's address as the guard sees it, the
 * arrival time, what waits behind it on its connection, and the checks every route shares (method, bearer token). Made and used on the connection's
 * event loop; the {@link FullHttpRequest} stays owned by {@link HttpChatHandler}.
 */
final class HttpExchange
{
    private static final String BEARER = "bearer ";
    // each event loop's last Authorization header and the token in it: a client sends the same header on every
    // request, and the token is the verified-token cache's key, so it is cut out of a new header only
    private static final FastThreadLocal<String[]> LAST_TOKEN = new FastThreadLocal<>()
    {
        @Override
        protected String[] initialValue()
        {
            return new String[2];
        }
    };

    final ChannelHandlerContext ctx;
    final FullHttpRequest request;
    final String path;
    final InetAddress client;
    final long startNs;
    /** Requests of the same connection waiting behind this one. */
    final int queuedBehind;
    /** When the oldest of those arrived ({@link System#nanoTime()}), meaningful while {@link #queuedBehind} > 0. */
    final long oldestQueuedNs;
    private final RequestGuard guard;

    HttpExchange(final ChannelHandlerContext ctx, final FullHttpRequest request, final String path,
        final InetAddress client, final long startNs, final int queuedBehind, final long oldestQueuedNs,
        final RequestGuard guard)
    {
        this.ctx = ctx;
        this.request = request;
        this.path = path;
        this.client = client;
        this.startNs = startNs;
        this.queuedBehind = queuedBehind;
        this.oldestQueuedNs = oldestQueuedNs;
        this.guard = guard;
    }

    /**
     * @param allowed the one method the resource takes.
     * @throws MethodNotAllowed (405 with {@code Allow}) for any other.
     */
    void requireMethod(final HttpMethod allowed)
    {
        if (!allowed.equals(request.method()))
        {
            throw new MethodNotAllowed(allowed);
        }
    }

    /**
     * @return the caller of a valid {@code Authorization: Bearer} token.
     * @throws ChatException 401 without a valid token, 429 over the user's rate.
     */
    Principal authenticate()
    {
        final String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null || header.isEmpty())
        {
            throw ChatException.unauthorized("missing bearer token");
        }
        if (header.length() <= BEARER.length() || !header.regionMatches(true, 0, BEARER, 0, BEARER.length()))
        {
            throw ChatException.unauthorized("malformed authorization header (expected: Bearer <token>)");
        }
        return guard.authenticate(token(header));
    }

    private static String token(final String header)
    {
        final String[] last = LAST_TOKEN.get();
        if (!header.equals(last[0]))
        {
            last[1] = header.substring(BEARER.length()).strip();
            last[0] = header;
        }
        return last[1];
    }

    /**
     * A method the resource does not take: 405 with an {@code Allow} header.
     */
    static final class MethodNotAllowed extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        final transient HttpMethod allowed;

        MethodNotAllowed(final HttpMethod allowed)
        {
            super(null, null, false, false);
            this.allowed = allowed;
        }
    }
}
