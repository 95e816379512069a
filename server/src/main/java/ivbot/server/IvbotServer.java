package ivbot.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import ivbot.codec.VarintFrameDecoder;
import ivbot.codec.VarintFrameEncoder;
import ivbot.server.auth.JwtAuthenticator;
import ivbot.server.frame.FrameChatHandler;
import ivbot.server.http.HttpChatHandler;
import ivbot.server.http.JsonHttpObjectAggregator;
import ivbot.server.metrics.MetricsReporter;
import ivbot.server.http.StaticContent;
import ivbot.server.limit.RateLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Binds one port that serves HTTP/1.1 JSON and protobuf frames, told apart per connection by
 * {@link PortUnificationHandler}. Uses epoll where available, NIO otherwise. The server does not own
 * the {@link ChatService}'s collaborators; {@link #close()} stops accepting, lets in-flight requests
 * finish within the quiet period, and shuts the event loops down.
 */
public final class IvbotServer implements AutoCloseable
{
    /** Pipeline handler names. */
    public static final String CONNECTION_LIMIT = "connectionLimit";
    public static final String REQUEST_TIMEOUT = "requestTimeout";
    public static final String UNIFICATION = "unification";
    public static final String IDLE = "idle";
    public static final String IDLE_CLOSE = "idleClose";
    public static final String HTTP_CODEC = "httpCodec";
    public static final String HTTP_AGGREGATOR = "httpAggregator";
    public static final String FRAME_DECODER = "frameDecoder";
    public static final String FRAME_ENCODER = "frameEncoder";
    public static final String CHAT = "chat";

    private static final Logger LOG = LoggerFactory.getLogger(IvbotServer.class);
    private static final int MAX_DECODED_PIPELINE = 4096;
    private static final long MAX_LIMITED_KEYS = 1_000_000;
    // one socket read decodes at most this much: bounds the requests queued from a read that overshoots
    // a connection's pipelining bound (reading stops only after it)
    private static final int MAX_READ_BYTES = 16 * 1024;
    // a connection's unsent bytes: above the high mark it stops being writable and its reading pauses
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);
    // an oversized body declared up to this many times --max-body is read and skipped to keep the connection
    private static final long MAX_DISCARD_BODIES = 64;

    private final ServerConfig config;
    private final ChatService chat;
    private final StaticContent staticContent;
    private final MetricsReporter reporter;
    private final ConnectionLimitHandler connectionLimit;
    private final RequestGuard guard;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private final EventLoopGroup group;
    private final Class<? extends ServerSocketChannel> channelClass;
    private final String transport;
    private Channel serverChannel;

    /**
     * A server without a dev token in its chat page.
     *
     * @param config        the concluded settings.
     * @param chat          the chat service.
     * @param reporter      the metrics reporter: started by {@link #start()} at {@code metricsIntervalMs},
     *                      stopped by {@link #close()}; its recorders are written by the handlers.
     * @param authenticator the token verifier.
     */
    public IvbotServer(final ServerConfig config, final ChatService chat, final MetricsReporter reporter,
        final JwtAuthenticator authenticator)
    {
        this(config, chat, reporter, authenticator, new StaticContent(null));
    }

    /**
     * @param config        the concluded settings.
     * @param chat          the chat service.
     * @param reporter      the metrics reporter: started by {@link #start()} at {@code metricsIntervalMs},
     *                      stopped by {@link #close()}; its recorders are written by the handlers, and its
     *                      snapshots serve {@code /metrics} and {@code /v1/ops/stats}.
     * @param authenticator the token verifier.
     * @param staticContent the browser pages ({@code new StaticContent(devToken)} in dev mode).
     */
    public IvbotServer(final ServerConfig config, final ChatService chat, final MetricsReporter reporter,
        final JwtAuthenticator authenticator, final StaticContent staticContent)
    {
        this.config = config;
        this.chat = chat;
        this.reporter = reporter;
        this.staticContent = staticContent;
        this.connectionLimit = new ConnectionLimitHandler(config.maxConnections, config.maxConnectionsPerAddress,
            config.trustedProxyAddresses());
        this.guard = new RequestGuard(authenticator, reporter.metrics(),
            new RateLimiter(config.userRatePerSecond, config.userBurst, MAX_LIMITED_KEYS, System::nanoTime),
            new RateLimiter(config.addressRatePerSecond, config.addressBurst, MAX_LIMITED_KEYS, System::nanoTime),
            config.trustedProxyAddresses(), System::currentTimeMillis);
        reporter
            .register("ivbot_rate_limited_total", "counter", "Requests refused 429 for their rate, by what was over it.",
                "by=\"user\"", guard::limitedByUser)
            .register("ivbot_rate_limited_total", "counter", "", "by=\"address\"", guard::limitedByAddress)
            .register("ivbot_connections_refused_total", "counter",
                "Connections closed at once: over --max-connections or --max-connections-per-address.", "",
                connectionLimit::refused)
            .register("ivbot_session_evictions_total", "counter",
                "Sessions removed to make room (a user's cap, the in-process bound) before their TTL ran out.", "",
                chat.store()::evictions);
        if (Epoll.isAvailable())
        {
            group = new MultiThreadIoEventLoopGroup(config.ioThreads, new DefaultThreadFactory("ivbot-io"), EpollIoHandler.newFactory());
            channelClass = EpollServerSocketChannel.class;
            transport = "epoll";
        }
        else
        {
            group = new MultiThreadIoEventLoopGroup(config.ioThreads, new DefaultThreadFactory("ivbot-io"), NioIoHandler.newFactory());
            channelClass = NioServerSocketChannel.class;
            transport = "nio";
        }
    }

    /**
     * Binds the port.
     *
     * @return this.
     * @throws InterruptedException when interrupted while binding.
     */
    public IvbotServer start() throws InterruptedException
    {
        final ServerBootstrap bootstrap = new ServerBootstrap()
            .group(group)
            .channel(channelClass)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
            .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(64, 2048, MAX_READ_BYTES))
            .childAttr(SerialRequestHandler.IN_FLIGHT, inFlight)
            .childHandler(new ChannelInitializer<SocketChannel>()
            {
                @Override
                protected void initChannel(final SocketChannel ch)
                {
                    ch.pipeline()
                        .addLast(CONNECTION_LIMIT, connectionLimit)
                        .addLast(REQUEST_TIMEOUT, new RequestTimeoutHandler(config.requestTimeoutMs))
                        .addLast(IDLE, new IdleStateHandler(config.idleTimeoutSeconds, 0, 0))
                        .addLast(IDLE_CLOSE, IdleCloseHandler.INSTANCE)
                        .addLast(UNIFICATION, new PortUnificationHandler(new Installer()));
                }
            });
        serverChannel = bootstrap.bind(config.host, config.port).sync().channel();
        reporter.start(config.metricsIntervalMs);
        LOG.info("ivbot listening on {} ({}, {} event loops, sessions: {})",
            serverChannel.localAddress(), transport, config.ioThreads, chat.store().describe());
        return this;
    }

    /**
     * @return the request front shared by both transports (its limits' counters).
     */
    public RequestGuard guard()
    {
        return guard;
    }

    /**
     * @return the connection bounds (open connections, per address).
     */
    public ConnectionLimitHandler connectionLimit()
    {
        return connectionLimit;
    }

    /**
     * @return the metrics reporter (JMX registration and remote JMX are up to the caller, see
     *     {@code JmxExporter}).
     */
    public MetricsReporter reporter()
    {
        return reporter;
    }

    /**
     * @return the bound port.
     */
    public int port()
    {
        return ((InetSocketAddress)serverChannel.localAddress()).getPort();
    }

    /**
     * @return {@code "epoll"} or {@code "nio"}.
     */
    public String transport()
    {
        return transport;
    }

    /**
     * Stops accepting and shuts the event loops down gracefully (in-flight work gets up to 2 s).
     */
    @Override
    public void close()
    {
        if (serverChannel != null)
        {
            serverChannel.close().syncUninterruptibly();
        }
        // let the requests in flight finish (and write their sessions) before the event loops go
        final long startNs = System.nanoTime();
        final int atStart = inFlight.get();
        final long deadline = startNs + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(config.shutdownTimeoutMs);
        while (inFlight.get() > 0 && System.nanoTime() < deadline)
        {
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
        }
        final long waitedMs = (System.nanoTime() - startNs) / 1_000_000;
        final int left = inFlight.get();
        if (left > 0)
        {
            LOG.warn("shutdown: waited {} ms for {} requests in flight; {} still unanswered at the {} ms limit",
                waitedMs, atStart, left, config.shutdownTimeoutMs);
        }
        else
        {
            LOG.info("shutdown: waited {} ms for {} requests in flight; all answered", waitedMs, atStart);
        }
        group.shutdownGracefully(0, 2000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        reporter.close();
    }


    /**
     * Adds the HTTP/1.1 handlers to a connection's pipeline: the server's, and the start-up warm-up's ({@link Warmup},
     * over Netty's in-VM transport), so that both run the same code.
     *
     * @param pipeline      the connection's pipeline.
     * @param config        the concluded settings.
     * @param chat          the chat service.
     * @param guard         the request front.
     * @param reporter      the metrics.
     * @param staticContent the browser pages.
     */
    static void installHttp(final ChannelPipeline pipeline, final ServerConfig config, final ChatService chat,
        final RequestGuard guard, final MetricsReporter reporter, final StaticContent staticContent)
    {
        // the decoder may hold every request of one socket read beyond the handler's queue (reading
        // pauses only after that read), so its own pipelining bound is set well above --max-pipelined
        final HttpDecoderConfig decoderConfig = new HttpDecoderConfig()
            .setMaxInitialLineLength(4096)
            .setMaxHeaderSize(8192);
        // every request with a body gets a trailers object, which is almost always left empty: the same class and
        // validation as the default's, with the small table of newEmptyHeaders
        final HttpHeadersFactory trailers = decoderConfig.getTrailersFactory();
        decoderConfig.setTrailersFactory(new HttpHeadersFactory()
        {
            @Override
            public HttpHeaders newHeaders()
            {
                return trailers.newEmptyHeaders();
            }

            @Override
            public HttpHeaders newEmptyHeaders()
            {
                return trailers.newEmptyHeaders();
            }
        });
        pipeline.addLast(HTTP_CODEC, new HttpServerCodec(decoderConfig, MAX_DECODED_PIPELINE))
            .addLast(HTTP_AGGREGATOR, new JsonHttpObjectAggregator(config.maxBodyBytes, MAX_DISCARD_BODIES * config.maxBodyBytes))
            .addLast(CHAT, new HttpChatHandler(chat, guard, reporter, config.maxPipelined, staticContent));
    }

    private final class Installer implements PortUnificationHandler.ProtocolInstaller
    {
        @Override
        public void installHttp(final ChannelPipeline pipeline)
        {
            IvbotServer.installHttp(pipeline, config, chat, guard, reporter, staticContent);
        }

        @Override
        public void installFrames(final ChannelPipeline pipeline)
        {
            pipeline.addLast(FRAME_DECODER, new VarintFrameDecoder(config.maxFrameBytes))
                .addLast(FRAME_ENCODER, VarintFrameEncoder.INSTANCE)
                .addLast(CHAT, new FrameChatHandler(chat, guard, reporter.metrics(), config.maxPipelined));
        }
    }

    /**
     * Closes a connection on which nothing was read for the idle timeout.
     */
    @io.netty.channel.ChannelHandler.Sharable
    static final class IdleCloseHandler extends ChannelInboundHandlerAdapter
    {
        static final IdleCloseHandler INSTANCE = new IdleCloseHandler();

        @Override
        public void userEventTriggered(final ChannelHandlerContext ctx, final Object evt) throws Exception
        {
            if (evt instanceof IdleStateEvent)
            {
                ctx.close();
                return;
            }
            super.userEventTriggered(ctx, evt);
        }
    }
}
