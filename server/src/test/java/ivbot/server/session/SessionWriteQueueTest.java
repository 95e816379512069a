package ivbot.server.session;

import io.lettuce.core.RedisException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The local write queue on its own, with a hand-driven clock and attempts that the test completes.
 */
@Timeout(30)
class SessionWriteQueueTest
{
    private static final long WINDOW_NS = TimeUnit.SECONDS.toNanos(5);

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final List<String> sent = new ArrayList<>();
    private final List<CompletableFuture<String>> attempts = new ArrayList<>();

    private SessionWriteQueue queue(final int capacity)
    {
        return new SessionWriteQueue(capacity, WINDOW_NS, clock::get, RedisSessionStore::isRetryable);
    }

    private CompletableFuture<String> submit(final SessionWriteQueue queue, final String session, final String name)
    {
        return queue.submit(session, "save", () ->
        {
            final CompletableFuture<String> attempt = new CompletableFuture<>();
            sent.add(name);
            attempts.add(attempt);
            return attempt;
        });
    }

    private void succeed(final int attempt)
    {
        attempts.get(attempt).complete(sent.get(attempt));
    }

    private void disconnect(final int attempt)
    {
        attempts.get(attempt).completeExceptionally(new RedisException("Currently not connected. Commands are rejected."));
    }

    @Test
    void shouldSendTheWritesOfOneSessionOneAtATimeInOrder()
    {
        final SessionWriteQueue queue = queue(10);
        final CompletableFuture<String> first = submit(queue, "a", "a1");
        final CompletableFuture<String> second = submit(queue, "a", "a2");
        final CompletableFuture<String> other = submit(queue, "b", "b1");
        assertEquals(List.of("a1", "b1"), sent, "a2 waits for a1; b is independent");
        assertEquals(3, queue.pending());

        succeed(0);
        assertEquals("a1", first.join());
        assertEquals(List.of("a1", "b1", "a2"), sent);
        succeed(2);
        succeed(1);
        assertEquals("a2", second.join());
        assertEquals("b1", other.join());
        assertEquals(0, queue.pending());
        assertEquals(0, queue.lanes());
    }

    @Test
    void shouldHoldWritesWhileRedisIsAwayAndReplayThemInOrder()
    {
        final SessionWriteQueue queue = queue(10);
        final CompletableFuture<String> first = submit(queue, "a", "a1");
        final CompletableFuture<String> second = submit(queue, "a", "a2");
        disconnect(0);
        assertFalse(first.isDone(), "a retryable failure waits");

        clock.addAndGet(TimeUnit.SECONDS.toNanos(2));
        queue.tick(false);
        assertEquals(List.of("a1"), sent, "nothing is sent while Redis is unreachable");

        queue.tick(true);
        assertEquals(List.of("a1", "a1"), sent, "the head is attempted again, before a2");
        succeed(1);
        assertEquals(List.of("a1", "a1", "a2"), sent);
        succeed(2);
        assertEquals("a1", first.join());
        assertEquals("a2", second.join());
        assertEquals(0, queue.failed());
    }

    @Test
    void shouldFailAWriteBusyWhenItsWindowRunsOut()
    {
        final SessionWriteQueue queue = queue(10);
        final CompletableFuture<String> first = submit(queue, "a", "a1");
        disconnect(0);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(3));
        final CompletableFuture<String> later = submit(queue, "a", "a2");
        clock.addAndGet(TimeUnit.SECONDS.toNanos(2));
        queue.tick(false);

        final CompletionException error = assertThrows(CompletionException.class, first::join);
        assertInstanceOf(SessionStoreBusyException.class, error.getCause());
        assertTrue(error.getCause().getMessage().contains("not written within 5000 ms"), error.getCause().getMessage());
        assertFalse(later.isDone(), "a2 was made 3 s later: 3 s of its window are left");
        assertEquals(1, queue.pending());

        queue.tick(true);
        succeed(1);
        assertEquals("a2", later.join());
        assertEquals(1, queue.failed());
        assertEquals(0, queue.pending());
    }

    @Test
    void shouldFailTheCallerAtTheDeadlineButKeepTheLaneUntilTheAttemptOnTheWireAnswers()
    {
        final SessionWriteQueue queue = queue(10);
        final CompletableFuture<String> first = submit(queue, "a", "a1");
        final CompletableFuture<String> second = submit(queue, "a", "a2");
        clock.addAndGet(WINDOW_NS);
        queue.tick(true);

        assertInstanceOf(SessionStoreBusyException.class, assertThrows(CompletionException.class, first::join).getCause());
        assertInstanceOf(SessionStoreBusyException.class, assertThrows(CompletionException.class, second::join).getCause());
        assertEquals(List.of("a1"), sent, "a2 never overtakes a1, which may still land");
        assertEquals(1, queue.pending());
        succeed(0);
        assertEquals(0, queue.pending());
        assertEquals(0, queue.lanes());
    }

    @Test
    void shouldRefuseAWriteAtOnceWhenTheQueueIsFull()
    {
        final SessionWriteQueue queue = queue(2);
        submit(queue, "a", "a1");
        submit(queue, "b", "b1");
        final CompletableFuture<String> third = submit(queue, "c", "c1");
        assertTrue(third.isCompletedExceptionally());
        final CompletionException error = assertThrows(CompletionException.class, third::join);
        assertInstanceOf(SessionStoreBusyException.class, error.getCause());
        assertTrue(error.getCause().getMessage().contains("write queue full"), error.getCause().getMessage());
        assertEquals(List.of("a1", "b1"), sent);

        succeed(0);
        assertFalse(submit(queue, "c", "c2").isDone(), "room again once a write finished");
    }

    @Test
    void shouldNotRetryAnErrorThatARetryCannotFix()
    {
        final SessionWriteQueue queue = queue(10);
        final CompletableFuture<String> first = submit(queue, "a", "a1");
        final CompletableFuture<String> second = submit(queue, "a", "a2");
        attempts.get(0).completeExceptionally(new io.lettuce.core.RedisCommandExecutionException("WRONGTYPE Operation"));
        assertInstanceOf(SessionStoreBusyException.class, assertThrows(CompletionException.class, first::join).getCause());
        assertEquals(List.of("a1", "a2"), sent, "the next write goes on");
        succeed(1);
        assertEquals("a2", second.join());
    }

    @Test
    void shouldFailEveryPendingWriteOnClose()
    {
        final SessionWriteQueue queue = queue(10);
        final CompletableFuture<String> first = submit(queue, "a", "a1");
        final CompletableFuture<String> second = submit(queue, "a", "a2");
        queue.close();
        assertInstanceOf(SessionStoreUnavailableException.class, assertThrows(CompletionException.class, first::join).getCause());
        assertInstanceOf(SessionStoreUnavailableException.class, assertThrows(CompletionException.class, second::join).getCause());
        assertTrue(submit(queue, "b", "b1").isCompletedExceptionally());
        assertEquals(0, queue.pending());
    }

    @Test
    void shouldKeepOrderPerSessionUnderConcurrentWritersAndFailingAttempts() throws Exception
    {
        final int sessions = 16;
        final int writesPerSession = 300;
        final SessionWriteQueue queue = new SessionWriteQueue(100_000, TimeUnit.MINUTES.toNanos(1), System::nanoTime,
            RedisSessionStore::isRetryable);
        final ConcurrentLinkedQueue<String> landed = new ConcurrentLinkedQueue<>();
        final int[][] lastLanded = new int[sessions][1];
        final ExecutorService redis = Executors.newFixedThreadPool(2);
        final ExecutorService writers = Executors.newFixedThreadPool(4);
        final List<CompletableFuture<Integer>> futures = new ArrayList<>();
        final CountDownLatch submitted = new CountDownLatch(sessions);
        for (int s = 0; s < sessions; s++)
        {
            final int session = s;
            writers.execute(() ->
            {
                for (int w = 1; w <= writesPerSession; w++)
                {
                    final int turn = w;
                    final CompletableFuture<Integer> future = queue.submit("s" + session, "save", () ->
                        CompletableFuture.supplyAsync(() ->
                        {
                            if (ThreadLocalRandom.current().nextInt(5) == 0)
                            {
                                throw new RedisException("Connection disconnected");
                            }
                            synchronized (lastLanded[session])
                            {
                                if (turn != lastLanded[session][0] + 1)
                                {
                                    landed.add("s" + session + " got " + turn + " after " + lastLanded[session][0]);
                                }
                                lastLanded[session][0] = turn;
                            }
                            return turn;
                        }, redis));
                    synchronized (futures)
                    {
                        futures.add(future);
                    }
                }
                submitted.countDown();
            });
        }
        assertTrue(submitted.await(10, TimeUnit.SECONDS));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (queue.pending() > 0 && System.nanoTime() < deadline)
        {
            queue.tick(true);
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        synchronized (futures)
        {
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
        }
        writers.shutdownNow();
        redis.shutdownNow();
        assertEquals(List.of(), new ArrayList<>(landed), "out-of-order writes");
        for (int s = 0; s < sessions; s++)
        {
            assertEquals(writesPerSession, lastLanded[s][0]);
        }
        assertEquals(0, queue.pending());
        assertEquals(0, queue.failed());
    }
}
