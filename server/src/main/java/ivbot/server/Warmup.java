package ivbot.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import ivbot.server.http.StaticContent;
import ivbot.server.metrics.MetricsReporter;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Warms the serving path before the server takes traffic: synthetic conversations as HTTP/1.1 requests through the
 * server's own HTTP handlers ({@link IvbotServer#installHttp}: the codec, the aggregator, the request guard with the
 * token check, JSON in and out) into a real {@link ChatService} (the serving classifier, inference agent, ONNX
 * Runtime session, dialog manager and knowledge base; its own in-process session store, metrics and no turn events,
 * so nothing reaches the real ones), carried by Netty's in-VM transport ({@link LocalChannel}) on event loops of its
 * own. Without it the JIT compiles the hot path under the first candidates' requests for tens of seconds (P99 around
 * 100 ms and seconds of compiler CPU in the first 20 s at 150 q/s, where a warm server answers in a few ms).
 * <p>
 * Queries are the given questions with a unique suffix ({@code " #n"}), so every turn reaches the model; users talk
 * in sessions of {@value #TURNS_PER_SESSION} turns, so follow-ups take the session path too. Each user holds one
 * connection and sends its next turn when the last is answered. Runs once, from the caller's thread, bounded by a
 * turn count and a time limit. What the socket transport does (epoll reads and writes) is not warmed.
 */
public final class Warmup
{
    private static final int TURNS_PER_SESSION = 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What a warm-up did.
     *
     * @param turns     turns answered (status 200).
     * @param failed    turns that failed (another status, a closed connection); counted, not retried.
     * @param elapsedMs how long it took.
     */
    public record Result(int turns, int failed, long elapsedMs)
    {
    }

    private Warmup()
    {
    }

    /**
     * Runs the warm-up.
     *
     * @param config      the server's concluded settings (body and pipelining bounds).
     * @param chat        a chat service on the serving classifier and a private session store, without events.
     * @param guard       the request front, with the serving token check and no rate limits.
     * @param reporter    private metrics for the handlers to record into.
     * @param tokens      a bearer token for a user number, or {@code null} when the server cannot sign one (a public
     *                    key verifies tokens): the requests then carry none and are refused 401, which warms the
     *                    HTTP path but not the chat.
     * @param questions   the questions to ask, cycled; not empty.
     * @param turns       how many turns to send.
     * @param concurrency users, each on its own connection, with a turn in flight (fills the inference agent's
     *                    batches as real traffic does).
     * @param maxMs       the time limit; the warm-up stops there whatever is left.
     * @return what it did.
     * @throws InterruptedException when interrupted while waiting.
     */
    public static Result run(final ServerConfig config, final ChatService chat, final RequestGuard guard,
        final MetricsReporter reporter, final IntFunction<String> tokens, final List<String> questions, final int turns,
        final int concurrency, final long maxMs) throws InterruptedException
    {
        if (questions.isEmpty())
        {
            throw new IllegalArgumentException("questions is empty");
        }
        final long startNs = System.nanoTime();
        final int users = Math.max(1, concurrency);
        final Run run = new Run(questions, turns, startNs + TimeUnit.MILLISECONDS.toNanos(maxMs), users);
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, LocalIoHandler.newFactory());
        final LocalAddress address = new LocalAddress(Warmup.class);
        try
        {
            final Channel server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>()
                {
                    @Override
                    protected void initChannel(final LocalChannel ch)
                    {
                        IvbotServer.installHttp(ch.pipeline(), config, chat, guard, reporter, new StaticContent(null));
                    }
                })
                .bind(address).sync().channel();
            try
            {
                final Bootstrap client = new Bootstrap().group(group).channel(LocalChannel.class)
                    .handler(new ChannelInitializer<LocalChannel>()
                    {
                        @Override
                        protected void initChannel(final LocalChannel ch)
                        {
                            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));
                        }
                    });
                for (int user = 0; user < users; user++)
                {
                    final Channel channel = client.connect(address).sync().channel();
                    channel.pipeline().addLast(new User(run, channel, tokens == null ? null : tokens.apply(user)));
                    channel.eventLoop().execute(() -> channel.pipeline().get(User.class).next());
                }
                run.done.get(maxMs + 10_000, TimeUnit.MILLISECONDS);
            }
            catch (final ExecutionException | TimeoutException ex)
            {
                // the time limit ends a warm-up early: what was done is done
            }
            finally
            {
                server.close().sync();
            }
        }
        finally
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        return new Result(run.answered.get(), run.failed.get(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
    }

    /**
     * One warm-up: its bounds and counters.
     */
    private static final class Run
    {
        final List<String> questions;
        final int turns;
        final long deadlineNs;
        final AtomicInteger issued = new AtomicInteger();
        final AtomicInteger answered = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger running;
        final CompletableFuture<Void> done = new CompletableFuture<>();

        Run(final List<String> questions, final int turns, final long deadlineNs, final int users)
        {
            this.questions = questions;
            this.turns = turns;
            this.deadlineNs = deadlineNs;
            this.running = new AtomicInteger(users);
        }

        void finish()
        {
            if (running.decrementAndGet() == 0)
            {
                done.complete(null);
            }
        }
    }

    /**
     * One user on one connection: sends a turn, reads its reply, keeps the session for the next turns of it.
     * Touched on the connection's event loop only.
     */
    private static final class User extends SimpleChannelInboundHandler<FullHttpResponse>
    {
        private final Run run;
        private final Channel channel;
        private final String authorization;
        private String sessionId = "";
        private int turnInSession;
        private boolean finished;

        User(final Run run, final Channel channel, final String token)
        {
            this.run = run;
            this.channel = channel;
            this.authorization = token == null ? null : "Bearer " + token;
        }

        void next()
        {
            final int n = run.issued.getAndIncrement();
            if (n >= run.turns || System.nanoTime() >= run.deadlineNs)
            {
                finish();
                return;
            }
            final ObjectNode body = JSON.createObjectNode().put("query", run.questions.get(n % run.questions.size()) + " #" + n);
            if (turnInSession > 0)
            {
                body.put("session_id", sessionId);
            }
            final FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/chat",
                Unpooled.copiedBuffer(body.toString(), StandardCharsets.UTF_8));
            request.headers().set(HttpHeaderNames.HOST, "warmup")
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, request.content().readableBytes());
            if (authorization != null)
            {
                request.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
            }
            channel.writeAndFlush(request);
        }

        @Override
        protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpResponse response) throws Exception
        {
            if (response.status().code() == 200)
            {
                run.answered.incrementAndGet();
                sessionId = JSON.readTree(response.content().toString(StandardCharsets.UTF_8)).path("session_id").asText();
                turnInSession = turnInSession + 1 < TURNS_PER_SESSION ? turnInSession + 1 : 0;
            }
            else
            {
                run.failed.incrementAndGet();
                turnInSession = 0;
            }
            next();
        }

        @Override
        public void channelInactive(final ChannelHandlerContext ctx)
        {
            finish();
        }

        private void finish()
        {
            if (!finished)
            {
                finished = true;
                run.finish();
                channel.close();
            }
        }
    }
}
