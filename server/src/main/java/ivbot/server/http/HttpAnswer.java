package ivbot.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import ivbot.codec.ChatJsonCodec;
import ivbot.proto.ChatReply;
import ivbot.server.metrics.MetricsSnapshot;
import ivbot.server.metrics.OpsStatsJson;
import ivbot.server.metrics.PrometheusExporter;

import java.nio.charset.StandardCharsets;

/**
 * What a route answers for a request that succeeded; it writes its own response. Failures are not answers:
 * a route fails its future with a {@code ChatException} and {@link HttpChatHandler} maps it to a status and an
 * error body in one place.
 * <p>
 * {@link #write} runs on the connection's event loop when the request's turn comes; the response it returns
 * owns a body buffer from {@code alloc}, which the pipeline releases once written.
 */
public sealed interface HttpAnswer
{
    /**
     * @param alloc     the channel's allocator.
     * @param keepAlive whether the connection stays open after this response.
     * @return the response.
     */
    FullHttpResponse write(ByteBufAllocator alloc, boolean keepAlive);

    /**
     * A chat turn's reply: 200 with the reply as JSON.
     *
     * @param reply the reply.
     */
    record Chat(ChatReply reply) implements HttpAnswer
    {
        @Override
        public FullHttpResponse write(final ByteBufAllocator alloc, final boolean keepAlive)
        {
            final ByteBuf body = alloc.buffer(512);
            ChatJsonCodec.writeChatReply(reply, body);
            return HttpResponses.json(HttpResponseStatus.OK, body, keepAlive);
        }
    }

    /**
     * A small JSON object: a status code and flat name/value fields.
     *
     * @param code   the status code.
     * @param fields names and values, alternating.
     */
    record Status(int code, Object... fields) implements HttpAnswer
    {
        @Override
        public FullHttpResponse write(final ByteBufAllocator alloc, final boolean keepAlive)
        {
            final ByteBuf body = alloc.buffer(128);
            ChatJsonCodec.writeObject(body, fields);
            return HttpResponses.json(HttpResponseStatus.valueOf(code), body, keepAlive);
        }
    }

    /**
     * A JSON body written elsewhere (the canary's status).
     *
     * @param code the status code.
     * @param json the body.
     */
    record JsonText(int code, String json) implements HttpAnswer
    {
        @Override
        public FullHttpResponse write(final ByteBufAllocator alloc, final boolean keepAlive)
        {
            final ByteBuf body = alloc.buffer(json.length() * 3);
            body.writeCharSequence(json, StandardCharsets.UTF_8);
            return HttpResponses.json(HttpResponseStatus.valueOf(code), body, keepAlive);
        }
    }

    /**
     * {@code GET /metrics}: the snapshot as Prometheus text.
     *
     * @param snapshot the reporter's latest snapshot.
     */
    record Prometheus(MetricsSnapshot snapshot) implements HttpAnswer
    {
        private static final AsciiString PROMETHEUS_TEXT = AsciiString.cached("text/plain; version=0.0.4; charset=utf-8");

        @Override
        public FullHttpResponse write(final ByteBufAllocator alloc, final boolean keepAlive)
        {
            final ByteBuf body = alloc.buffer(8192);
            body.writeCharSequence(PrometheusExporter.scrape(snapshot), StandardCharsets.UTF_8);
            return HttpResponses.full(HttpResponseStatus.OK, PROMETHEUS_TEXT, body, keepAlive);
        }
    }

    /**
     * {@code GET /v1/ops/stats}: the snapshot as the operator page's JSON.
     *
     * @param snapshot the reporter's latest snapshot.
     */
    record OpsStats(MetricsSnapshot snapshot) implements HttpAnswer
    {
        @Override
        public FullHttpResponse write(final ByteBufAllocator alloc, final boolean keepAlive)
        {
            final ByteBuf body = alloc.buffer(512);
            OpsStatsJson.write(snapshot, body);
            return HttpResponses.json(HttpResponseStatus.OK, body, keepAlive);
        }
    }

    /**
     * One of the browser pages.
     *
     * @param pages    the packed pages.
     * @param path     the page's path.
     * @param loopback whether the client is on this machine (the dev token goes only there).
     */
    record StaticPage(StaticContent pages, String path, boolean loopback) implements HttpAnswer
    {
        @Override
        public FullHttpResponse write(final ByteBufAllocator alloc, final boolean keepAlive)
        {
            return pages.lookup(path, alloc, keepAlive, loopback);
        }
    }
}
