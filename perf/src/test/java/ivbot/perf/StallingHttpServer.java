package ivbot.perf;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A tiny HTTP chat server for the harness's tests, on an ephemeral loopback port: answers
 * {@code POST /v1/chat} at once with a fixed chat reply, except that request number {@code stallAt}
 * (counted over all connections, from 1) is answered {@code stallMs} late, and every later reply on that
 * connection waits behind it (HTTP answers in order), as a server stalled by a GC pause or a lock would.
 * Every 10th reply has {@code source=cache}, every 25th {@code source=rules} with a
 * {@code fallback_reason}. {@code /plain} answers {@code 200 text/plain "Hello World"} to anyone, as Netty's
 * HelloWorld example does. Other paths answer 404, a missing {@code Authorization} 401.
 * <p>
 * One event-loop thread; the counters are read by the test thread.
 */
final class StallingHttpServer implements AutoCloseable
{
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger withSession = new AtomicInteger();
    final AtomicInteger stalls = new AtomicInteger();
    final AtomicReference<String> lastAuthorization = new AtomicReference<>();
    final Set<String> bodies = ConcurrentHashMap.newKeySet();

    private final int stallAt;
    private final long stallMs;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel serverChannel;

    /**
     * @param stallAt the request number answered late; 0 never stalls.
     * @param stallMs how late, ms.
     */
    StallingHttpServer(final int stallAt, final long stallMs) throws InterruptedException
    {
        this.stallAt = stallAt;
        this.stallMs = stallMs;
        serverChannel = new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(new ChannelInitializer<SocketChannel>()
            {
                @Override
                protected void initChannel(final SocketChannel ch)
                {
                    ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new StallingHandler());
                }
            })
            .bind("127.0.0.1", 0).sync().channel();
    }

    int port()
    {
        return ((InetSocketAddress)serverChannel.localAddress()).getPort();
    }

    String url()
    {
        return "http://127.0.0.1:" + port();
    }

    @Override
    public void close()
    {
        serverChannel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static FullHttpResponse json(final HttpResponseStatus status, final String body)
    {
        final ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
            .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return response;
    }

    /** Per connection: holds replies in order while the connection is stalled. */
    private final class StallingHandler extends SimpleChannelInboundHandler<FullHttpRequest>
    {
        private final ArrayDeque<FullHttpResponse> held = new ArrayDeque<>();
        private boolean stalled;

        @Override
        protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request)
        {
            final FullHttpResponse response = answer(request);
            if (response.status().code() == 200 && requests.incrementAndGet() == stallAt)
            {
                stalled = true;
                stalls.incrementAndGet();
                held.add(response);
                ctx.executor().schedule(() -> release(ctx), stallMs, TimeUnit.MILLISECONDS);
            }
            else if (stalled)
            {
                held.add(response);
            }
            else
            {
                ctx.writeAndFlush(response);
            }
        }

        private FullHttpResponse answer(final FullHttpRequest request)
        {
            if ("/plain".equals(request.uri()))
            {
                final FullHttpResponse plain = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer("Hello World", StandardCharsets.UTF_8));
                plain.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, plain.content().readableBytes());
                return plain;
            }
            if (!"/v1/chat".equals(request.uri()))
            {
                return json(HttpResponseStatus.NOT_FOUND, "{\"error\":{\"code\":\"not_found\",\"message\":\"no\"}}");
            }
            final String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
            if (authorization == null)
            {
                return json(HttpResponseStatus.UNAUTHORIZED, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"no\"}}");
            }
            lastAuthorization.set(authorization);
            final String body = request.content().toString(StandardCharsets.UTF_8);
            bodies.add(body);
            if (body.contains("\"session_id\""))
            {
                withSession.incrementAndGet();
            }
            final int n = requests.get() + 1;
            final String source = n % 10 == 0 ? "cache" : "rules";
            final String fallback = n % 25 == 0 ? ",\"fallback_reason\":\"deadline\"" : "";
            return json(HttpResponseStatus.OK, "{\"session_id\":\"x\",\"answer\":\"a\",\"intent\":\"greeting\","
                + "\"audience\":null,\"confidence\":1.0,\"source\":\"" + source + "\",\"model_version\":null,"
                + "\"latency_ms\":0.01,\"turn\":1" + fallback + "}");
        }

        private void release(final ChannelHandlerContext ctx)
        {
            stalled = false;
            while (!held.isEmpty())
            {
                ctx.write(held.poll());
            }
            ctx.flush();
        }

        @Override
        public void channelInactive(final ChannelHandlerContext ctx) throws Exception
        {
            held.forEach(ReferenceCountUtil::release);
            held.clear();
            super.channelInactive(ctx);
        }
    }
}
