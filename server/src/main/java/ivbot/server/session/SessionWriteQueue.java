package ivbot.server.session;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The bounded local write queue of a {@link RedisSessionStore}: every save, touch and delete goes through it,
 * so that the writes of one session reach Redis one at a time and in the order they were made, and so that
 * a write made while Redis is switching waits for it instead of failing.
 *
 * <pre>
 *   submit ──► lane of the session (FIFO) ──► head attempted on Redis, one at a time per session
 *
 *     "s:a"  [w1*] [w2] [w3]        * the head: in flight, or stalled waiting for a retry
 *     "s:b"  [w4*]
 *
 *   attempt ok                                  ──► w1 completes, w2 is attempted
 *   attempt failed, retryable, window not over  ──► lane stalled; {@link #tick} resumes it while Redis is reachable
 *   window over (windowNs after submit)         ──► the future fails with SessionStoreBusyException
 * </pre>
 *
 * Bounds: at most {@code capacity} writes are pending (in flight or waiting) across all sessions; the next
 * one fails at once. A write is attempted only before its deadline; an attempt on the wire when the deadline
 * passes fails the caller's future at the deadline but keeps the lane blocked until Redis answers (bounded
 * by the command timeout), so that a later write of the same session never overtakes it.
 * <p>
 * Threads: {@link #submit} from any thread (event loops); attempts complete on Redis I/O threads, which
 * attempt the lane's next write; {@link #tick} from the store's single timer thread. A lane's state is
 * only touched inside {@link ConcurrentHashMap#compute} on its key, which orders those threads. Futures are
 * completed outside those locks. Lock-free apart from the map's per-bin locks.
 */
final class SessionWriteQueue
{
    private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();
    private final AtomicLong pending = new AtomicLong();
    private final LongAdder failed = new LongAdder();
    private final int capacity;
    private final long windowNs;
    private final LongSupplier nanoClock;
    private final Predicate<Throwable> retryable;
    private volatile boolean closed;

    /**
     * @param capacity  the most pending writes.
     * @param windowNs  how long a write may wait from when it was made, nanoseconds.
     * @param nanoClock a monotonic clock in nanoseconds, {@link System#nanoTime} outside tests.
     * @param retryable which attempt failures are worth a retry (Redis unreachable, read-only, failing over).
     */
    SessionWriteQueue(final int capacity, final long windowNs, final LongSupplier nanoClock,
        final Predicate<Throwable> retryable)
    {
        if (capacity <= 0)
        {
            throw new IllegalArgumentException("capacity=" + capacity + " (expected: > 0)");
        }
        if (windowNs <= 0)
        {
            throw new IllegalArgumentException("windowNs=" + windowNs + " (expected: > 0)");
        }
        this.capacity = capacity;
        this.windowNs = windowNs;
        this.nanoClock = nanoClock;
        this.retryable = retryable;
    }

    /**
     * Queues a write behind the session's earlier writes, and attempts it at once when it is the first.
     *
     * @param sessionId the session whose writes are ordered.
     * @param what      a name for messages, e.g. {@code "save"}.
     * @param attempt   sends the write to Redis once; called again for each retry, on any thread.
     * @param <T>       the write's result.
     * @return completes with the result of the first successful attempt, or fails with a
     *         {@link SessionStoreBusyException} (window over, queue full, not retryable) or a
     *         {@link SessionStoreUnavailableException} (queue closed).
     */
    <T> CompletableFuture<T> submit(final String sessionId, final String what, final Supplier<CompletionStage<T>> attempt)
    {
        final long nowNs = nanoClock.getAsLong();
        final Write<T> write = new Write<>(sessionId, what, attempt, nowNs + windowNs);
        if (closed)
        {
            failed.increment();
            write.future.completeExceptionally(new SessionStoreUnavailableException("session store closed"));
            return write.future;
        }
        if (pending.incrementAndGet() > capacity)
        {
            pending.decrementAndGet();
            failed.increment();
            write.future.completeExceptionally(new SessionStoreBusyException(
                what + " refused: write queue full (" + capacity + " writes pending)", null));
            return write.future;
        }
        final boolean[] first = new boolean[1];
        lanes.compute(sessionId, (id, existing) ->
        {
            final Lane lane = existing != null ? existing : new Lane();
            lane.writes.addLast(write);
            if (lane.inFlight == null && !lane.stalled)
            {
                lane.inFlight = write;
                first[0] = true;
            }
            return lane;
        });
        if (first[0])
        {
            send(write);
        }
        return write.future;
    }

    private <T> void send(final Write<T> write)
    {
        CompletionStage<T> stage;
        try
        {
            stage = write.attempt.get();
        }
        catch (final RuntimeException ex)
        {
            stage = CompletableFuture.failedFuture(ex);
        }
        stage.whenComplete((value, error) -> onAttempt(write, value, error));
    }

    private <T> void onAttempt(final Write<T> write, final T value, final Throwable error)
    {
        if (error == null)
        {
            finish(write, value, null);
            return;
        }
        final Throwable cause = unwrap(error);
        write.lastError = cause;
        if (!closed && !write.future.isDone() && nanoClock.getAsLong() - write.deadlineNs < 0 && retryable.test(cause))
        {
            final boolean[] stalled = new boolean[1];
            lanes.computeIfPresent(write.sessionId, (id, lane) ->
            {
                if (lane.inFlight == write)
                {
                    lane.inFlight = null;
                    lane.stalled = true;
                    stalled[0] = true;
                }
                return lane;
            });
            if (stalled[0])
            {
                return;
            }
        }
        finish(write, null, cause);
    }

    private <T> void finish(final Write<T> write, final T value, final Throwable cause)
    {
        final Object[] next = new Object[1];
        final boolean[] removed = new boolean[1];
        lanes.computeIfPresent(write.sessionId, (id, lane) ->
        {
            if (lane.inFlight != write)
            {
                return lane;
            }
            lane.writes.pollFirst();
            lane.inFlight = null;
            removed[0] = true;
            if (lane.writes.isEmpty())
            {
                return null;
            }
            lane.inFlight = lane.writes.peekFirst();
            next[0] = lane.inFlight;
            return lane;
        });
        if (removed[0])
        {
            pending.decrementAndGet();
        }
        if (cause == null)
        {
            write.future.complete(value);
        }
        else
        {
            fail(write, cause);
        }
        if (next[0] != null)
        {
            send((Write<?>)next[0]);
        }
    }

    /**
     * Fails the writes whose window is over and, while Redis is reachable, attempts the head of every
     * stalled lane again. Called by the store's timer thread every probe interval and when Redis comes back.
     *
     * @param reachable whether the last probe reached Redis (for Cluster: at least one master).
     */
    void tick(final boolean reachable)
    {
        final long nowNs = nanoClock.getAsLong();
        final TickResult result = new TickResult();
        for (final String sessionId : lanes.keySet())
        {
            lanes.computeIfPresent(sessionId, (id, lane) -> lane.tick(nowNs, reachable, result));
            if (!result.expired.isEmpty())
            {
                pending.addAndGet(-result.expired.size());
                for (final Write<?> write : result.expired)
                {
                    fail(write, write.lastError);
                }
                result.expired.clear();
            }
            if (result.lateInFlight != null)
            {
                fail(result.lateInFlight, result.lateInFlight.lastError);
                result.lateInFlight = null;
            }
            if (result.resume != null)
            {
                final Write<?> resume = result.resume;
                result.resume = null;
                send(resume);
            }
        }
    }

    private void fail(final Write<?> write, final Throwable cause)
    {
        final RuntimeException error;
        if (cause instanceof SessionStoreBusyException || cause instanceof SessionStoreUnavailableException)
        {
            error = (RuntimeException)cause;
        }
        else if (nanoClock.getAsLong() - write.deadlineNs >= 0)
        {
            error = new SessionStoreBusyException(write.what + " of session not written within " +
                TimeUnit.NANOSECONDS.toMillis(windowNs) + " ms" + (cause == null ? "" : ": " + cause), cause);
        }
        else
        {
            error = new SessionStoreBusyException(write.what + " of session failed: " + cause, cause);
        }
        if (write.future.completeExceptionally(error))
        {
            failed.increment();
        }
    }

    /**
     * Fails every pending write with a {@link SessionStoreUnavailableException}; later submits fail at once.
     */
    void close()
    {
        closed = true;
        for (final String sessionId : lanes.keySet())
        {
            final Lane lane = lanes.remove(sessionId);
            if (lane != null)
            {
                pending.addAndGet(-lane.writes.size());
                for (final Write<?> write : lane.writes)
                {
                    if (write.future.completeExceptionally(new SessionStoreUnavailableException("session store closed")))
                    {
                        failed.increment();
                    }
                }
            }
        }
    }

    /**
     * @return the writes made but not yet finished (in flight or waiting).
     */
    long pending()
    {
        return pending.get();
    }

    /**
     * @return the writes whose future failed since start.
     */
    long failed()
    {
        return failed.sum();
    }

    /**
     * @return the sessions with pending writes.
     */
    int lanes()
    {
        return lanes.size();
    }

    private static Throwable unwrap(final Throwable error)
    {
        Throwable t = error;
        while (t instanceof CompletionException && t.getCause() != null)
        {
            t = t.getCause();
        }
        return t;
    }

    private static final class Write<T>
    {
        final String sessionId;
        final String what;
        final Supplier<CompletionStage<T>> attempt;
        final long deadlineNs;
        final CompletableFuture<T> future = new CompletableFuture<>();
        volatile Throwable lastError;

        Write(final String sessionId, final String what, final Supplier<CompletionStage<T>> attempt, final long deadlineNs)
        {
            this.sessionId = sessionId;
            this.what = what;
            this.attempt = attempt;
            this.deadlineNs = deadlineNs;
        }
    }

    private static final class TickResult
    {
        final List<Write<?>> expired = new ArrayList<>();
        Write<?> lateInFlight;
        Write<?> resume;
    }

    /**
     * The writes of one session, oldest first. Invariant while in the map: not empty, and either the head is
     * {@code inFlight} or the lane is {@code stalled}. Only touched inside the map's compute on its key.
     */
    private static final class Lane
    {
        final ArrayDeque<Write<?>> writes = new ArrayDeque<>(2);
        Write<?> inFlight;
        boolean stalled;

        Lane tick(final long nowNs, final boolean reachable, final TickResult result)
        {
            final Iterator<Write<?>> it = writes.iterator();
            while (it.hasNext())
            {
                final Write<?> write = it.next();
                if (write != inFlight && nowNs - write.deadlineNs >= 0)
                {
                    it.remove();
                    result.expired.add(write);
                }
            }
            if (inFlight != null && nowNs - inFlight.deadlineNs >= 0 && !inFlight.future.isDone())
            {
                result.lateInFlight = inFlight;
            }
            if (writes.isEmpty())
            {
                return null;
            }
            if (stalled && reachable)
            {
                stalled = false;
                inFlight = writes.peekFirst();
                result.resume = inFlight;
            }
            return this;
        }
    }
}
