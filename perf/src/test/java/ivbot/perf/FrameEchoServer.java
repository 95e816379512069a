package ivbot.perf;

import io.netty.bootstrap.ServerBootstrap;
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
import ivbot.codec.VarintFrameDecoder;
import ivbot.codec.VarintFrameEncoder;
import ivbot.proto.ChatReply;
import ivbot.proto.ChatRequest;
import ivbot.proto.Frame;

import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny protobuf frame server for the harness's tests, on an ephemeral loopback port. Each
 * {@code ChatRequest} is answered at once: request number {@code n} (from 1, over all connections) gets
 * {@code Error{503, busy}} when {@code n % 10 == 0}, else a {@code ChatReply} echoing its
 * {@code request_id}, with a new session id {@code s<n>} when it sent none, {@code source=cache} when
 * {@code n % 4 == 0}, and {@code source=rules, fallback_reason=deadline} when {@code n % 5 == 0}. A
 * request without a token gets {@code Error{401, unauthorized}}.
 * <p>
 * One event-loop thread; the counters are read by the test thread.
 */
final class FrameEchoServer implements AutoCloseable
{
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger withoutToken = new AtomicInteger();
    final AtomicInteger newSessions = new AtomicInteger();
    final AtomicInteger knownSessions = new AtomicInteger();
    final AtomicInteger unknownSessions = new AtomicInteger();

    private final Set<String> sessions = ConcurrentHashMap.newKeySet();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel serverChannel;

    FrameEchoServer() throws InterruptedException
    {
        serverChannel = new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(new ChannelInitializer<SocketChannel>()
            {
                @Override
                protected void initChannel(final SocketChannel ch)
                {
                    ch.pipeline().addLast(new VarintFrameDecoder(16 * 1024), VarintFrameEncoder.INSTANCE, new EchoHandler());
                }
            })
            .bind("127.0.0.1", 0).sync().channel();
    }

    String url()
    {
        return "http://127.0.0.1:" + ((InetSocketAddress)serverChannel.localAddress()).getPort();
    }

    @Override
    public void close()
    {
        serverChannel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class EchoHandler extends SimpleChannelInboundHandler<Frame>
    {
        @Override
        protected void channelRead0(final ChannelHandlerContext ctx, final Frame frame)
        {
            if (!frame.hasChatRequest())
            {
                return;
            }
            final ChatRequest request = frame.getChatRequest();
            final int n = requests.incrementAndGet();
            if (request.getToken().isEmpty())
            {
                withoutToken.incrementAndGet();
                ctx.writeAndFlush(error(request.getRequestId(), 401, "unauthorized"));
                return;
            }
            if (n % 10 == 0)
            {
                ctx.writeAndFlush(error(request.getRequestId(), 503, "busy"));
                return;
            }
            String sessionId = request.getSessionId();
            if (sessionId.isEmpty())
            {
                sessionId = "s" + n;
                sessions.add(sessionId);
                newSessions.incrementAndGet();
            }
            else if (sessions.contains(sessionId))
            {
                knownSessions.incrementAndGet();
            }
            else
            {
                unknownSessions.incrementAndGet();
            }
            final ChatReply.Builder reply = ChatReply.newBuilder()
                .setRequestId(request.getRequestId())
                .setSessionId(sessionId)
                .setAnswer("a")
                .setIntent("greeting")
                .setSource(n % 4 == 0 ? "cache" : "rules");
            if (n % 5 == 0 && n % 4 != 0)
            {
                reply.setFallbackReason("deadline");
            }
            ctx.writeAndFlush(Frame.newBuilder().setChatReply(reply).build());
        }

        private Frame error(final long requestId, final int status, final String code)
        {
            return Frame.newBuilder().setError(ivbot.proto.Error.newBuilder()
                .setRequestId(requestId).setStatus(status).setCode(code).setMessage(code)).build();
        }
    }
}
