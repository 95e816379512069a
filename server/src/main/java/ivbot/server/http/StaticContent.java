package ivbot.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The browser pages, packed in the server jar under {@code ivbot/web/} and read once, at construction,
 * into byte arrays:
 * <pre>
 *   GET /                  index.html   the candidate chat
 *   GET /ops               ops.html     the operator dashboard (its data come from /v1/ops/stats)
 *   GET /static/{name}     app.css, chat.js, ops.js, favicon.svg, labels.js (the Chinese names of the
 *                          intent and audience ids, loaded by the chat page before chat.js)
 * </pre>
 * Every response carries {@code Cache-Control: no-cache} (the browser revalidates, so a new server
 * version is picked up at once; the chat page, which may carry a dev token, {@code no-store}) and a
 * Content-Security-Policy of {@code default-src 'self'; base-uri 'none'; form-action 'self';
 * frame-ancestors 'none'}: the pages have no inline script or style and load nothing from other origins.
 * <p>
 * In dev mode the page {@code index.html} has its placeholder {@value #DEV_TOKEN_PLACEHOLDER} replaced
 * by the dev token, which the chat page puts in its token field; in production the placeholder becomes
 * the empty string. Immutable and thread-safe after construction.
 */
public final class StaticContent
{
    /** The placeholder in {@code index.html} that receives the dev token. */
    public static final String DEV_TOKEN_PLACEHOLDER = "{{DEV_TOKEN}}";
    /** The path prefix of the assets. */
    public static final String STATIC_PREFIX = "/static/";

    private static final String RESOURCE_DIR = "/ivbot/web/";
    private static final AsciiString HTML = AsciiString.cached("text/html; charset=utf-8");
    private static final AsciiString CSS = AsciiString.cached("text/css; charset=utf-8");
    private static final AsciiString JS = AsciiString.cached("text/javascript; charset=utf-8");
    private static final AsciiString SVG = AsciiString.cached("image/svg+xml; charset=utf-8");
    private static final AsciiString NO_CACHE = AsciiString.cached("no-cache");
    private static final AsciiString NO_STORE = AsciiString.cached("no-store");
    private static final AsciiString CSP = AsciiString.cached(
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    private static final AsciiString NOSNIFF = AsciiString.cached("nosniff");
    private static final AsciiString DENY = AsciiString.cached("DENY");
    private static final AsciiString NO_REFERRER = AsciiString.cached("no-referrer");
    private static final AsciiString X_CONTENT_TYPE_OPTIONS = AsciiString.cached("x-content-type-options");
    private static final AsciiString REFERRER_POLICY = AsciiString.cached("referrer-policy");

    private final Map<String, Entry> entries = new HashMap<>();
    private final Entry publicIndex;

    /**
     * Reads the pages from the class path.
     *
     * @param devToken the token to render into the chat page (dev mode), or {@code null} in production.
     * @throws IllegalStateException when a page is missing from the class path.
     * @throws IllegalArgumentException when the token holds characters other than those of a compact JWS.
     */
    public StaticContent(final String devToken)
    {
        if (devToken != null && !devToken.matches("[A-Za-z0-9_.\\-]*"))
        {
            throw new IllegalArgumentException("devToken is not a compact JWS (expected: A-Z a-z 0-9 _ - .)");
        }
        final String index = new String(read("index.html"), StandardCharsets.UTF_8)
            .replace(DEV_TOKEN_PLACEHOLDER, devToken == null ? "" : devToken);
        entries.put("/", new Entry(index.getBytes(StandardCharsets.UTF_8), HTML));
        publicIndex = new Entry(new String(read("index.html"), StandardCharsets.UTF_8)
            .replace(DEV_TOKEN_PLACEHOLDER, "").getBytes(StandardCharsets.UTF_8), HTML);
        entries.put("/ops", new Entry(read("ops.html"), HTML));
        entries.put(STATIC_PREFIX + "app.css", new Entry(read("app.css"), CSS));
        entries.put(STATIC_PREFIX + "chat.js", new Entry(read("chat.js"), JS));
        entries.put(STATIC_PREFIX + "ops.js", new Entry(read("ops.js"), JS));
        entries.put(STATIC_PREFIX + "labels.js", new Entry(read("labels.js"), JS));
        entries.put(STATIC_PREFIX + "favicon.svg", new Entry(read("favicon.svg"), SVG));
    }

    /**
     * @param path the decoded request path, without query string.
     * @return whether {@link #lookup} answers this path.
     */
    public boolean contains(final String path)
    {
        return entries.containsKey(path);
    }

    /**
     * Builds the response for a page. Called on an event loop.
     *
     * @param path      the decoded request path, without query string.
     * @param alloc     the allocator for the body; the caller owns the returned response and its body.
     * @param keepAlive whether the connection stays open after this response.
     * @return a 200 response, or {@code null} when {@code path} is not a page.
     */
    public FullHttpResponse lookup(final String path, final ByteBufAllocator alloc, final boolean keepAlive)
    {
        return lookup(path, alloc, keepAlive, true);
    }

    /**
     * Builds the response for a page; the dev token goes only to clients on this machine.
     *
     * @param path           the decoded request path, without query string.
     * @param alloc          the allocator for the body; the caller owns the returned response and its body.
     * @param keepAlive      whether the connection stays open after this response.
     * @param loopbackClient whether the client connected from a loopback address.
     * @return a 200 response, or {@code null} when {@code path} is not a page.
     */
    public FullHttpResponse lookup(final String path, final ByteBufAllocator alloc, final boolean keepAlive,
        final boolean loopbackClient)
    {
        final Entry entry = "/".equals(path) && !loopbackClient ? publicIndex : entries.get(path);
        if (entry == null)
        {
            return null;
        }
        final ByteBuf body = alloc.buffer(entry.body.length).writeBytes(entry.body);
        final FullHttpResponse response = HttpResponses.full(HttpResponseStatus.OK, entry.contentType, body, keepAlive);
        response.headers()
            // the chat page may carry a dev token: never kept by a browser or a proxy cache
            .set(HttpHeaderNames.CACHE_CONTROL, "/".equals(path) ? NO_STORE : NO_CACHE)
            .set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CSP)
            .set(X_CONTENT_TYPE_OPTIONS, NOSNIFF)
            .set(HttpHeaderNames.X_FRAME_OPTIONS, DENY)
            .set(REFERRER_POLICY, NO_REFERRER);
        return response;
    }

    private static byte[] read(final String name)
    {
        try (InputStream in = StaticContent.class.getResourceAsStream(RESOURCE_DIR + name))
        {
            if (in == null)
            {
                throw new IllegalStateException("resource " + RESOURCE_DIR + name + " is not on the class path");
            }
            return in.readAllBytes();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read resource " + RESOURCE_DIR + name, ex);
        }
    }

    private static final class Entry
    {
        final byte[] body;
        final AsciiString contentType;

        Entry(final byte[] body, final AsciiString contentType)
        {
            this.body = body;
            this.contentType = contentType;
        }
    }
}
