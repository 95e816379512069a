package ivbot.server.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StaticContentTest
{
    private static final ByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false);
    private static final Pattern EXTERNAL = Pattern.compile(
        "(src|href|action)\\s*=\\s*[\"']?(https?:)?//|url\\(\\s*[\"']?(https?:)?//|@import|fetch\\(\\s*[\"'](https?:)?//");

    private static String body(final FullHttpResponse response)
    {
        try
        {
            return response.content().toString(StandardCharsets.UTF_8);
        }
        finally
        {
            response.release();
        }
    }

    @Test
    void shouldServeEachPageWithItsTypeAndSecurityHeaders()
    {
        final StaticContent pages = new StaticContent(null);
        final String[][] expected = {
            {"/", "text/html; charset=utf-8"},
            {"/ops", "text/html; charset=utf-8"},
            {"/static/app.css", "text/css; charset=utf-8"},
            {"/static/chat.js", "text/javascript; charset=utf-8"},
            {"/static/ops.js", "text/javascript; charset=utf-8"},
            {"/static/favicon.svg", "image/svg+xml; charset=utf-8"},
        };
        for (final String[] page : expected)
        {
            assertTrue(pages.contains(page[0]), page[0]);
            final FullHttpResponse response = pages.lookup(page[0], ALLOC, true);
            assertEquals(200, response.status().code());
            assertEquals(page[1], response.headers().get(HttpHeaderNames.CONTENT_TYPE));
            assertEquals("/".equals(page[0]) ? "no-store" : "no-cache", response.headers().get(HttpHeaderNames.CACHE_CONTROL));
            assertEquals("default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
                response.headers().get(HttpHeaderNames.CONTENT_SECURITY_POLICY));
            assertEquals("nosniff", response.headers().get("X-Content-Type-Options"));
            assertEquals(response.content().readableBytes(), response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH));
            assertFalse(response.headers().contains(HttpHeaderNames.CONNECTION));
            assertFalse(EXTERNAL.matcher(body(response)).find(), page[0] + " loads nothing from other origins");
        }
    }

    @Test
    void shouldAnswerNullForUnknownPaths()
    {
        final StaticContent pages = new StaticContent(null);
        for (final String path : new String[] {"/static/", "/static/nope.js", "/static/../index.html", "/index.html", "/ops/"})
        {
            assertFalse(pages.contains(path), path);
            assertNull(pages.lookup(path, ALLOC, true), path);
        }
    }

    @Test
    void shouldRenderTheDevTokenOnlyInDevMode()
    {
        final String dev = body(new StaticContent("aaa.bbb.ccc").lookup("/", ALLOC, true));
        assertTrue(dev.contains("<meta name=\"ivbot-dev-token\" content=\"aaa.bbb.ccc\">"), dev);
        final String prod = body(new StaticContent(null).lookup("/", ALLOC, true));
        assertTrue(prod.contains("<meta name=\"ivbot-dev-token\" content=\"\">"), prod);
        assertFalse(prod.contains(StaticContent.DEV_TOKEN_PLACEHOLDER));
    }

    @Test
    void shouldRejectADevTokenThatIsNotAJws()
    {
        assertThrows(IllegalArgumentException.class, () -> new StaticContent("a\"><script>"));
    }

    @Test
    void shouldCloseWhenNotKeepAlive()
    {
        final FullHttpResponse response = new StaticContent(null).lookup("/ops", ALLOC, false);
        assertEquals("close", response.headers().get(HttpHeaderNames.CONNECTION));
        response.release();
    }
}
