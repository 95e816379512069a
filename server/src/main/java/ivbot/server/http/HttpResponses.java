package ivbot.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import ivbot.codec.ChatJsonCodec;

/**
 * Builds the JSON responses of the HTTP API; the one place where failures become status codes and
 * error bodies. The returned responses own their content buffers until written.
 */
public final class HttpResponses
{
    private static final AsciiString APPLICATION_JSON_UTF8 = AsciiString.cached("application/json; charset=utf-8");
    private static final AsciiString NO_STORE = AsciiString.cached("no-store");
    private static final AsciiString NOSNIFF = AsciiString.cached("nosniff");
    private static final AsciiString X_CONTENT_TYPE_OPTIONS = AsciiString.cached("x-content-type-options");
    // every header of these responses is a constant or a number set by this server: nothing to validate
    private static final DefaultHttpHeadersFactory TRUSTED_HEADERS = DefaultHttpHeadersFactory.headersFactory()
        .withValidation(false);

    private HttpResponses()
    {
    }

    /**
     * @param status    the status.
     * @param content   the JSON body; ownership passes to the response.
     * @param keepAlive whether the connection stays open after this response.
     * @return the response, with content type and length set.
     */
    public static FullHttpResponse json(final HttpResponseStatus status, final ByteBuf content, final boolean keepAlive)
    {
        final FullHttpResponse response = full(status, APPLICATION_JSON_UTF8, content, keepAlive);
        // answers are per user and per turn: no cache may keep them, no browser may read them as anything else
        response.headers()
            .set(HttpHeaderNames.CACHE_CONTROL, NO_STORE)
            .set(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
        return response;
    }

    /**
     * @param status      the status.
     * @param contentType the content type, a constant of this server's (headers are not validated).
     * @param content     the body; ownership passes to the response.
     * @param keepAlive   whether the connection stays open after this response.
     * @return the response, with content type and length set, and {@code Connection: close} unless kept alive.
     */
    public static FullHttpResponse full(final HttpResponseStatus status, final CharSequence contentType,
        final ByteBuf content, final boolean keepAlive)
    {
        // a handful of headers: the small table of newEmptyHeaders is enough (it is the same class and validation)
        final FullHttpResponse response = new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, content, TRUSTED_HEADERS.newEmptyHeaders(), EmptyHttpHeaders.INSTANCE);
        response.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, contentType)
            .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        if (!keepAlive)
        {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /**
     * @param status    the status.
     * @param code      the machine-readable error code.
     * @param message   the human-readable message.
     * @param alloc     the allocator for the body.
     * @param keepAlive whether the connection stays open.
     * @return a response with body {@code {"error": {"code": ..., "message": ...}}}.
     */
    public static FullHttpResponse error(
        final HttpResponseStatus status,
        final String code,
        final String message,
        final ByteBufAllocator alloc,
        final boolean keepAlive)
    {
        final ByteBuf body = alloc.buffer(64 + message.length() * 3);
        ChatJsonCodec.writeError(code, message, body);
        return json(status, body, keepAlive);
    }
}
