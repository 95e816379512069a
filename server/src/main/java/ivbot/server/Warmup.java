package ivbot.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.DefaultEventLoop;
import ivbot.codec.ChatJsonCodec;
import ivbot.proto.ChatReply;
import ivbot.proto.ChatRequest;
import ivbot.server.auth.Principal;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Warms the model path before the server takes traffic: synthetic conversations through a real {@link ChatService}
 * (the serving classifier, inference agent, ONNX Runtime session, dialog manager and knowledge base; its own
 * in-process session store, so nothing reaches the real one) on an event loop of its own, each reply also encoded
 * as the HTTP transport encodes it. Without it the JIT compiles the hot path under the first candidates' requests
 * for tens of seconds (P99 around 100 ms and seconds of compiler CPU in the first 20 s at 150 q/s, where a warm
 * server answers in a few milliseconds).
 * <p>
 * Queries are the given questions with a unique suffix ({@code " #n"}), so every turn reaches the model; users talk
 * in sessions of {@value #TURNS_PER_SESSION} turns, so follow-ups take the session path too. Runs once, on the
 * caller's thread, bounded by a turn count and a time limit.
 */
public final class Warmup
{
    private static final int TURNS_PER_SESSION = 4;

    /**
     * What a warm-up did.
     *
     * @param turns   turns answered.
     * @param failed  turns that failed (a busy store, a refused turn); counted, not retried.
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
     * @param chat        a chat service on the serving classifier and a private session store.
     * @param questions   the questions to ask, cycled; not empty.
     * @param turns       how many turns to answer.
     * @param concurrency turns in flight at once (fills the inference agent's batches as real traffic does).
     * @param maxMs       the time limit; the warm-up stops there whatever is left.
     * @return what it did.
     * @throws InterruptedException when interrupted while waiting.
     */
    public static Result run(final ChatService chat, final List<String> questions, final int turns, final int concurrency,
        final long maxMs) throws InterruptedException
    {
        if (questions.isEmpty())
        {
            throw new IllegalArgumentException("questions is empty");
        }
        final long startNs = System.nanoTime();
        final int users = Math.max(1, concurrency);
        final Run run = new Run(chat, questions, turns, startNs + TimeUnit.MILLISECONDS.toNanos(maxMs), users);
        try
        {
            for (int user = 0; user < users; user++)
            {
                final Principal principal = new Principal("warmup-" + user, null, Long.MAX_VALUE);
                run.loop.execute(() -> run.next(principal, "", 0));
            }
            run.done.get(maxMs + 10_000, TimeUnit.MILLISECONDS);
        }
        catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex)
        {
            // the time limit (or a failure the turns counted) ends a warm-up early: what was done is done
        }
        finally
        {
            run.loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        return new Result(run.answered.get(), run.failed.get(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
    }

    /**
     * One warm-up: its bounds and counters, and the event loop its turns run on. Each user's next turn is started
     * on the loop when its last one completes.
     */
    private static final class Run
    {
        final ChatService chat;
        final List<String> questions;
        final int turns;
        final long deadlineNs;
        final DefaultEventLoop loop = new DefaultEventLoop();
        final AtomicInteger issued = new AtomicInteger();
        final AtomicInteger answered = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger running;
        final CompletableFuture<Void> done = new CompletableFuture<>();

        Run(final ChatService chat, final List<String> questions, final int turns, final long deadlineNs, final int users)
        {
            this.chat = chat;
            this.questions = questions;
            this.turns = turns;
            this.deadlineNs = deadlineNs;
            this.running = new AtomicInteger(users);
        }

        void next(final Principal user, final String sessionId, final int turnInSession)
        {
            final int n = issued.getAndIncrement();
            if (n >= turns || System.nanoTime() >= deadlineNs)
            {
                if (running.decrementAndGet() == 0)
                {
                    done.complete(null);
                }
                return;
            }
            final ChatRequest request = ChatRequest.newBuilder()
                .setRequestId(n)
                .setSessionId(turnInSession == 0 ? "" : sessionId)
                .setQuery(questions.get(n % questions.size()) + " #" + n)
                .build();
            chat.chat(user, request, System.nanoTime(), loop).whenComplete((reply, error) ->
            {
                if (error == null)
                {
                    answered.incrementAndGet();
                    encode(reply);
                }
                else
                {
                    failed.incrementAndGet();
                }
                final int following = error == null && turnInSession + 1 < TURNS_PER_SESSION ? turnInSession + 1 : 0;
                final String session = error == null ? reply.getSessionId() : "";
                loop.execute(() -> next(user, session, following));
            });
        }
    }

    private static void encode(final ChatReply reply)
    {
        final ByteBuf out = PooledByteBufAllocator.DEFAULT.buffer(512);
        try
        {
            ChatJsonCodec.writeChatReply(reply, out);
        }
        finally
        {
            out.release();
        }
    }
}
