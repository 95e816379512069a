package ivbot.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.util.AsciiString;
import ivbot.server.ChatException;
import ivbot.server.ChatService;
import ivbot.server.LingeringClose;
import ivbot.server.RequestGuard;
import ivbot.server.SerialRequestHandler;
import ivbot.server.metrics.MetricsReporter;
import ivbot.server.metrics.OpsStatsJson;
import ivbot.server.metrics.ServerMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The HTTP/1.1 JSON API:
 * <pre>
 *   POST   /v1/chat                     a chat turn (bearer token, JSON body)
 *   POST   /v1/sessions/{id}/heartbeat  renews the session's TTL
 *   DELETE /v1/sessions/{id}            deletes the session
 *   GET    /healthz                     the process is up
 *   GET    /readyz                      the session store is reachable (503 when degraded)
 *   GET    /metrics                     Prometheus text format (no token)
 *   GET    /v1/ops/stats                the operator figures (bearer token, ops role), see {@link OpsStatsJson}
 *   GET    /v1/admin/model[/{command}] model releases (bearer token, admin role), see {@link AdminRoute}
 *   GET    /, /ops, /static/{name}      the browser pages, see {@link StaticContent}
 * </pre>
 * Each URI family is one {@link HttpRoute} ({@link StaticRoute}, {@link ChatRoute}, {@link OpsRoute},
 * {@link SessionsRoute}), asked in that order; a route answers an {@link HttpAnswer} that writes itself, and
 * every failure becomes a status code and an error body here, in one place. Requests of a connection are
 * answered in order (see {@link SerialRequestHandler}); keep-alive and pipelining work. Each request holds a
 * {@link FullHttpRequest} that this handler releases. Not sharable.
 */
public final class HttpChatHandler extends SerialRequestHandler<FullHttpRequest>
{
    private static final Logger LOG = LoggerFactory.getLogger(HttpChatHandler.class);

    private static final Set<HttpMethod> KNOWN_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST,
        HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.CONNECT, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PATCH);
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");

    private final RequestGuard guard;
    private final MetricsReporter reporter;
    private final List<HttpRoute> routes;

    /**
     * @param chat          the chat service.
     * @param guard         the request front: client address, tokens and rate limits.
     * @param reporter      the metrics: replies and errors are recorded in its recorders, and its latest
     *                      snapshot answers {@code /metrics} and {@code /v1/ops/stats} (see {@link OpsStatsJson}).
     * @param maxPending    the most pipelined requests queued before reading pauses.
     * @param staticContent the browser pages.
     */
    public HttpChatHandler(final ChatService chat, final RequestGuard guard, final MetricsReporter reporter,
        final int maxPending, final StaticContent staticContent)
    {
        super(FullHttpRequest.class, maxPending);
        this.guard = guard;
        this.reporter = reporter;
        this.routes = List.of(new StaticRoute(staticContent), new ChatRoute(chat, reporter.metrics()),
            new OpsRoute(chat, reporter), new SessionsRoute(chat), new AdminRoute(chat.canary()));
    }

    @Override
    protected CompletableFuture<?> process(final ChannelHandlerContext ctx, final FullHttpRequest request)
    {
        try
        {
            // deadline and latency count from arrival, queueing behind the connection's earlier requests included
            return route(ctx, request, arrivalNanos());
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    private CompletableFuture<? extends HttpAnswer> route(final ChannelHandlerContext ctx, final FullHttpRequest request,
        final long startNs)
    {
        if (request.decoderResult().isFailure())
        {
            final Throwable cause = request.decoderResult().cause();
            if (cause instanceof TooLongHttpContentException)
            {
                throw new ChatException(413, "payload_too_large", cause.getMessage());
            }
            if (cause instanceof JsonHttpObjectAggregator.ExpectationFailedException)
            {
                throw new ChatException(417, "expectation_failed", cause.getMessage());
            }
            throw cause instanceof TooLongFrameException ?
                new ChatException(431, "headers_too_large", "request line or headers too large") :
                ChatException.badRequest("malformed HTTP request");
        }
        checkFraming(request);
        final InetAddress client = guard.clientAddress(ctx.channel().remoteAddress(), request.headers().get(X_FORWARDED_FOR));
        guard.admitAddress(client);
        final String path = rawPath(request.uri());
        for (final HttpRoute route : routes)
        {
            if (route.matches(path))
            {
                return route.answer(new HttpExchange(ctx, request, path, client, startNs, queuedBehind(),
                    oldestQueuedArrivalNanos(), guard));
            }
        }
        throw ChatException.notFound("no such resource: " + path);
    }

    /**
     * What the codec lets through but a server facing the internet should not: versions other than 1.0 and
     * 1.1, methods that are not HTTP's (methods are case-sensitive: {@code get} is not {@code GET}), an
     * HTTP/1.1 request without exactly one {@code Host}, and two {@code Authorization} headers.
     */
    private static void checkFraming(final FullHttpRequest request)
    {
        final HttpVersion version = request.protocolVersion();
        if (!HttpVersion.HTTP_1_1.equals(version) && !HttpVersion.HTTP_1_0.equals(version))
        {
            throw new ChatException(505, "http_version_not_supported", "HTTP version not supported (expected: HTTP/1.1 or HTTP/1.0)");
        }
        if (!KNOWN_METHODS.contains(request.method()))
        {
            throw new ChatException(501, "not_implemented", "unknown method");
        }
        final int hosts = count(request.headers(), HttpHeaderNames.HOST);
        if (hosts > 1 || hosts == 0 && HttpVersion.HTTP_1_1.equals(version))
        {
            throw ChatException.badRequest("an HTTP/1.1 request needs exactly one Host header");
        }
        if (count(request.headers(), HttpHeaderNames.AUTHORIZATION) > 1)
        {
            throw ChatException.badRequest("more than one Authorization header");
        }
    }

    /**
     * @return how many times the header occurs, up to 2 (getAll would make a list of them).
     */
    private static int count(final HttpHeaders headers, final AsciiString name)
    {
        final Iterator<? extends CharSequence> values = headers.valueCharSequenceIterator(name);
        int count = 0;
        while (count < 2 && values.hasNext())
        {
            values.next();
            count++;
        }
        return count;
    }

    /**
     * Routing matches the path exactly as sent: a percent-encoded path could mean one thing to a proxy's
     * rules and another here, so one is refused rather than decoded.
     */
    private static String rawPath(final String uri)
    {
        final int query = uri.indexOf('?');
        final String path = query < 0 ? uri : uri.substring(0, query);
        if (path.isEmpty() || path.charAt(0) != '/')
        {
            throw ChatException.badRequest("request target must be an absolute path");
        }
        if (path.indexOf('%') >= 0)
        {
            throw ChatException.badRequest("percent-encoded paths are not accepted");
        }
        return path;
    }

    @Override
    protected boolean respond(
        final ChannelHandlerContext ctx, final FullHttpRequest request, final Object result, final Throwable error)
    {
        // a body over the limit has been (or is being) skipped by the aggregator: the stream is still in step
        final boolean keepAlive = HttpUtil.isKeepAlive(request) && (request.decoderResult().isSuccess() ||
            request.decoderResult().cause() instanceof TooLongHttpContentException);
        final FullHttpResponse response;
        if (error != null)
        {
            response = errorResponse(ctx, request, error, keepAlive, reporter.metrics());
        }
        else
        {
            response = ((HttpAnswer)result).write(ctx.alloc(), keepAlive);
        }
        if (keepAlive)
        {
            ctx.write(response, ctx.voidPromise());
            return true;
        }
        ctx.writeAndFlush(response).addListener(LingeringClose.INSTANCE);
        return false;
    }

    private static String rawPathOrUri(final String uri)
    {
        final int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }

    private static FullHttpResponse errorResponse(final ChannelHandlerContext ctx, final FullHttpRequest request,
        final Throwable error, final boolean keepAlive, final ServerMetrics metrics)
    {
        Throwable cause = error;
        while (cause.getCause() != null && !(cause instanceof HttpExchange.MethodNotAllowed) && !(cause instanceof ChatException))
        {
            cause = cause.getCause();
        }
        if (cause instanceof HttpExchange.MethodNotAllowed)
        {
            metrics.recordError("method_not_allowed");
            final FullHttpResponse response = HttpResponses.error(HttpResponseStatus.METHOD_NOT_ALLOWED,
                "method_not_allowed", "method not allowed (allowed: " + ((HttpExchange.MethodNotAllowed)cause).allowed + ")",
                ctx.alloc(), keepAlive);
            response.headers().set(HttpHeaderNames.ALLOW, ((HttpExchange.MethodNotAllowed)cause).allowed.name());
            return response;
        }
        final ChatException ex = ChatException.of(error);
        metrics.recordError(ex.code());
        if (ex.status() == 500)
        {
            LOG.error("request failed with 500 internal: {} {}", request.method(), rawPathOrUri(request.uri()), error);
        }
        // a version or method this server does not speak: the rest of the stream is not trusted
        final boolean keep = keepAlive && ex.status() != 505 && ex.status() != 501 && ex.status() != 417;
        final FullHttpResponse response = HttpResponses.error(
            HttpResponseStatus.valueOf(ex.status()), ex.code(), ex.getMessage(), ctx.alloc(), keep);
        if (ex.status() == 401)
        {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        if (ex.retryAfterSeconds() > 0)
        {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, Long.toString(ex.retryAfterSeconds()));
        }
        return response;
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        // a decoder failure past the point where a response can be framed: the stream is not trusted
        if (cause instanceof IOException || cause instanceof io.netty.handler.codec.DecoderException)
        {
            LOG.debug("closing HTTP connection after {}", cause.toString());
        }
        else
        {
            LOG.error("closing HTTP connection after an unexpected error", cause);
        }
        ctx.close();
    }
}
