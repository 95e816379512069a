package ivbot.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.util.AsciiString;
import ivbot.codec.ChatJsonCodec;
import ivbot.codec.MalformedJsonException;
import ivbot.proto.ChatReply;
import ivbot.proto.ChatRequest;
import ivbot.server.ChatException;
import ivbot.server.ChatService;
import ivbot.server.LingeringClose;
import ivbot.server.SerialRequestHandler;
import ivbot.server.RequestGuard;
import ivbot.server.auth.Principal;
import ivbot.server.metrics.MetricsReporter;
import ivbot.server.metrics.OpsStatsJson;
import ivbot.server.metrics.PrometheusExporter;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
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
 *   GET    /, /ops, /static/{name}      the browser pages, see {@link StaticContent}
 * </pre>
 * Requests of a connection are answered in order (see {@link SerialRequestHandler}); keep-alive and
 * pipelining work. Each request holds a {@link FullHttpRequest} that this handler releases. Not sharable.
 */
public final class HttpChatHandler extends SerialRequestHandler<FullHttpRequest>
{
    private static final AsciiString PROMETHEUS_TEXT = AsciiString.cached("text/plain; version=0.0.4; charset=utf-8");
    private static final String SESSIONS_PREFIX = "/v1/sessions/";
    private static final String HEARTBEAT_SUFFIX = "/heartbeat";
    private static final String BEARER = "bearer ";
    private static final Logger LOG = LoggerFactory.getLogger(HttpChatHandler.class);

    private static final Set<HttpMethod> KNOWN_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST,
        HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.CONNECT, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PATCH);
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");

    private final ChatService chat;
    private final RequestGuard guard;
    private final StaticContent staticContent;
    private final MetricsReporter reporter;
    private InetAddress client;

    /**
     * @param chat          the chat service.
     * @param guard         the request front: client address, tokens and rate limits.
     * @param reporter      the metrics: replies and errors are recorded in its recorders, and its latest
     *                      snapshot answers {@code /metrics} and {@code /v1/ops/stats}.
     * @param maxPending    the most pipelined requests queued before reading pauses.
     * @param staticContent the browser pages.
     */
    public HttpChatHandler(final ChatService chat, final RequestGuard guard, final MetricsReporter reporter,
        final int maxPending, final StaticContent staticContent)
    {
        super(FullHttpRequest.class, maxPending);
        this.chat = chat;
        this.guard = guard;
        this.reporter = reporter;
        this.staticContent = staticContent;
    }

    @Override
    protected CompletableFuture<?> process(final ChannelHandlerContext ctx, final FullHttpRequest request)
    {
        try
        {
            return route(ctx, request, System.nanoTime());
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    private CompletableFuture<?> route(final ChannelHandlerContext ctx, final FullHttpRequest request, final long startNs)
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
        client = guard.clientAddress(ctx.channel().remoteAddress(), request.headers().get(X_FORWARDED_FOR));
        guard.admitAddress(client);
        final String path = rawPath(request.uri());
        final HttpMethod method = request.method();
        if (staticContent.contains(path))
        {
            requireMethod(method, HttpMethod.GET);
            return CompletableFuture.completedFuture(new StaticPage(path));
        }
        switch (path)
        {
            case "/v1/chat":
                requireMethod(method, HttpMethod.POST);
                return chat(ctx, request, startNs);
            case "/healthz":
                requireMethod(method, HttpMethod.GET);
                return CompletableFuture.completedFuture(new Status(200, "status", "ok"));
            case "/readyz":
                requireMethod(method, HttpMethod.GET);
                return CompletableFuture.completedFuture(readiness(request));
            case "/metrics":
                requireMethod(method, HttpMethod.GET);
                return CompletableFuture.completedFuture(new Metrics(PrometheusExporter.scrape(reporter.snapshot())));
            case "/v1/ops/stats":
                requireMethod(method, HttpMethod.GET);
                if (!authenticate(request).hasRole(Principal.OPS))
                {
                    throw ChatException.forbidden("the operator figures need a token with the '" + Principal.OPS + "' role");
                }
                return CompletableFuture.completedFuture(new OpsFigures());
            default:
                return sessions(request, path, method);
        }
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
        final int hosts = request.headers().getAll(HttpHeaderNames.HOST).size();
        if (hosts > 1 || hosts == 0 && HttpVersion.HTTP_1_1.equals(version))
        {
            throw ChatException.badRequest("an HTTP/1.1 request needs exactly one Host header");
        }
        if (request.headers().getAll(HttpHeaderNames.AUTHORIZATION).size() > 1)
        {
            throw ChatException.badRequest("more than one Authorization header");
        }
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

    private Status readiness(final FullHttpRequest request)
    {
        final boolean ready = chat.store().isReady();
        final String status = ready ? "ready" : "degraded";
        boolean details = false;
        if (request.headers().contains(HttpHeaderNames.AUTHORIZATION))
        {
            try
            {
                authenticate(request);
                details = true;
            }
            catch (final ChatException notAuthenticated)
            {
                // readiness is still answered, without the details
            }
        }
        return details ? new Status(ready ? 200 : 503, "status", status, "session_store", chat.store().describe()) :
            new Status(ready ? 200 : 503, "status", status);
    }

    private CompletableFuture<?> sessions(final FullHttpRequest request, final String path, final HttpMethod method)
    {
        if (!path.startsWith(SESSIONS_PREFIX))
        {
            throw ChatException.notFound("no such resource: " + path);
        }
        final String rest = path.substring(SESSIONS_PREFIX.length());
        if (rest.endsWith(HEARTBEAT_SUFFIX))
        {
            final String id = rest.substring(0, rest.length() - HEARTBEAT_SUFFIX.length());
            requireMethod(method, HttpMethod.POST);
            final Principal principal = authenticate(request);
            return chat.heartbeat(principal, id)
                .thenApply(ttl -> new Status(200, "session_id", id, "ttl_seconds", ttl));
        }
        if (rest.isEmpty() || rest.indexOf('/') >= 0)
        {
            throw ChatException.notFound("no such resource: " + path);
        }
        requireMethod(method, HttpMethod.DELETE);
        final Principal principal = authenticate(request);
        return chat.delete(principal, rest).thenApply(deleted -> new Status(200, "session_id", rest, "deleted", deleted));
    }

    private CompletableFuture<ChatReply> chat(final ChannelHandlerContext ctx, final FullHttpRequest request, final long startNs)
    {
        final Principal principal = authenticate(request);
        final String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (contentType == null || !HttpUtil.getMimeType(contentType).toString().equalsIgnoreCase("application/json"))
        {
            throw new ChatException(415, "unsupported_media_type", "content type must be application/json");
        }
        final ChatRequest chatRequest;
        try
        {
            chatRequest = ChatJsonCodec.readChatRequest(request.content()).build();
        }
        catch (final MalformedJsonException ex)
        {
            throw ChatException.badRequest(ex.getMessage());
        }
        return chat.chat(principal, chatRequest, startNs, ctx.executor());
    }

    private Principal authenticate(final FullHttpRequest request)
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
        return guard.authenticate(header.substring(BEARER.length()).strip());
    }

    private static void requireMethod(final HttpMethod actual, final HttpMethod allowed)
    {
        if (!allowed.equals(actual))
        {
            throw new MethodNotAllowed(allowed);
        }
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
            response = errorResponse(ctx, request, error, keepAlive);
            reporter.metrics().recordError();
        }
        else if (result instanceof ChatReply)
        {
            final ChatReply reply = (ChatReply)result;
            final ByteBuf body = ctx.alloc().buffer(512);
            ChatJsonCodec.writeChatReply(reply, body);
            response = HttpResponses.json(HttpResponseStatus.OK, body, keepAlive);
            final long latencyUs = (long)(reply.getLatencyMs() * 1000.0);
            reporter.metrics().recordReply(latencyUs, reply.getSource());
        }
        else if (result instanceof Metrics)
        {
            final ByteBuf body = ctx.alloc().buffer(8192);
            body.writeCharSequence(((Metrics)result).text, java.nio.charset.StandardCharsets.UTF_8);
            response = HttpResponses.full(HttpResponseStatus.OK, PROMETHEUS_TEXT, body, keepAlive);
        }
        else if (result instanceof StaticPage)
        {
            // the dev token only for a client on this machine, as seen through a trusted proxy
            final boolean loopback = client != null && client.isLoopbackAddress();
            response = staticContent.lookup(((StaticPage)result).path, ctx.alloc(), keepAlive, loopback);
        }
        else if (result instanceof OpsFigures)
        {
            final ByteBuf body = ctx.alloc().buffer(512);
            OpsStatsJson.write(reporter.snapshot(), body);
            response = HttpResponses.json(HttpResponseStatus.OK, body, keepAlive);
        }
        else
        {
            final Status status = (Status)result;
            final ByteBuf body = ctx.alloc().buffer(128);
            ChatJsonCodec.writeObject(body, status.fields);
            response = HttpResponses.json(HttpResponseStatus.valueOf(status.code), body, keepAlive);
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

    private static FullHttpResponse errorResponse(
        final ChannelHandlerContext ctx, final FullHttpRequest request, final Throwable error, final boolean keepAlive)
    {
        Throwable cause = error;
        while (cause.getCause() != null && !(cause instanceof MethodNotAllowed) && !(cause instanceof ChatException))
        {
            cause = cause.getCause();
        }
        if (cause instanceof MethodNotAllowed)
        {
            final FullHttpResponse response = HttpResponses.error(HttpResponseStatus.METHOD_NOT_ALLOWED,
                "method_not_allowed", "method not allowed (allowed: " + ((MethodNotAllowed)cause).allowed + ")",
                ctx.alloc(), keepAlive);
            response.headers().set(HttpHeaderNames.ALLOW, ((MethodNotAllowed)cause).allowed.name());
            return response;
        }
        final ChatException ex = ChatException.of(error);
        if (ex.status() == 500)
        {
            LOG.error("request failed: {} {}", request.method(), rawPathOrUri(request.uri()), error);
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
        if (cause instanceof java.io.IOException || cause instanceof io.netty.handler.codec.DecoderException)
        {
            LOG.debug("closing HTTP connection after {}", cause.toString());
        }
        else
        {
            LOG.error("closing HTTP connection after an unexpected error", cause);
        }
        ctx.close();
    }

    /**
     * The Prometheus text of {@code GET /metrics}.
     */
    private static final class Metrics
    {
        final String text;

        Metrics(final String text)
        {
            this.text = text;
        }
    }

    /**
     * The operator figures of {@code GET /v1/ops/stats}.
     */
    private static final class OpsFigures
    {
    }

    /**
     * A small JSON object response: status code and flat fields.
     */
    private static final class Status
    {
        final int code;
        final Object[] fields;

        Status(final int code, final Object... fields)
        {
            this.code = code;
            this.fields = fields;
        }
    }

    /**
     * A request for one of the browser pages.
     */
    private static final class StaticPage
    {
        final String path;

        StaticPage(final String path)
        {
            this.path = path;
        }
    }

    private static final class MethodNotAllowed extends RuntimeException
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
