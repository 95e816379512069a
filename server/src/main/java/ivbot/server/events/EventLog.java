package ivbot.server.events;

import ivbot.proto.TurnEvent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * Turn events off the hot path: event loops {@link #offer} a record into a bounded lock-free queue (Agrona's
 * {@link ManyToOneConcurrentArrayQueue}) and one writer thread, {@code ivbot-events}, drains it in batches,
 * turns each record into a {@link TurnEvent} (normalising, hashing: work kept off the event loops) and
 * writes them to an {@link EventSink}. An offer never blocks and never fails a request: when the queue is full the
 * event is dropped and counted, and a batch the sink cannot write is dropped and counted too.
 * <p>
 * Threads: {@link #offer} and the counters from any thread; the sink only on the writer thread. The writer
 * sleeps {@code idleMs} when the queue is empty (an idle server costs a wake-up per interval, no more).
 * {@link #close()} drains what is queued, then closes the sink.
 */
public final class EventLog<T> implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);
    private static final int MAX_BATCH = 512;

    private final ManyToOneConcurrentArrayQueue<T> queue;
    private final Function<T, TurnEvent> toEvent;
    private final EventSink sink;
    private final long idleNs;
    private final Thread writer;
    private final AtomicLong offered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile boolean closed;

    /**
     * Starts the writer thread.
     *
     * @param toEvent  makes an event of a record, on the writer thread.
     * @param sink     where events go; owned by this log from now on.
     * @param capacity the most events queued; more are dropped.
     * @param idleMs   how long the writer sleeps when there is nothing to write.
     */
    public EventLog(final Function<T, TurnEvent> toEvent, final EventSink sink, final int capacity, final long idleMs)
    {
        if (capacity < 2)
        {
            throw new IllegalArgumentException("capacity=" + capacity + " (expected: >= 2)");
        }
        if (idleMs <= 0)
        {
            throw new IllegalArgumentException("idleMs=" + idleMs + " (expected: > 0)");
        }
        this.queue = new ManyToOneConcurrentArrayQueue<>(capacity);
        this.toEvent = toEvent;
        this.sink = sink;
        this.idleNs = TimeUnit.MILLISECONDS.toNanos(idleMs);
        this.writer = new Thread(this::run, "ivbot-events");
        writer.setDaemon(true);
        writer.start();
        LOG.info("turn events to {}", sink.describe());
    }

    /**
     * Queues an event. Never blocks.
     *
     * @param event the record of a turn.
     * @return false when the queue was full and the event was dropped (counted).
     */
    public boolean offer(final T event)
    {
        offered.incrementAndGet();
        if (closed || !queue.offer(event))
        {
            dropped.incrementAndGet();
            return false;
        }
        return true;
    }

    private void run()
    {
        final List<T> records = new ArrayList<>(MAX_BATCH);
        final List<TurnEvent> batch = new ArrayList<>(MAX_BATCH);
        while (true)
        {
            final boolean stopping = closed;
            records.clear();
            batch.clear();
            queue.drainTo(records, MAX_BATCH);
            if (records.isEmpty())
            {
                if (stopping)
                {
                    return;
                }
                LockSupport.parkNanos(idleNs);
                continue;
            }
            try
            {
                for (final T record : records)
                {
                    batch.add(toEvent.apply(record));
                }
                sink.write(batch);
                written.addAndGet(records.size());
            }
            catch (final IOException | RuntimeException ex)
            {
                failed.addAndGet(records.size());
                LOG.warn("{} turn events not written to {}: {}", records.size(), sink.describe(), ex.toString());
            }
        }
    }

    /** @return events offered so far. */
    public long offered()
    {
        return offered.get();
    }

    /** @return events dropped because the queue was full (or the log closed). */
    public long dropped()
    {
        return dropped.get();
    }

    /** @return events the sink took. */
    public long written()
    {
        return written.get();
    }

    /** @return events lost because the sink failed to write their batch. */
    public long failed()
    {
        return failed.get();
    }

    /** @return events waiting now. */
    public int queued()
    {
        return queue.size();
    }

    /**
     * Stops taking events, writes what is queued, and closes the sink.
     */
    @Override
    public void close()
    {
        closed = true;
        LockSupport.unpark(writer);
        try
        {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        try
        {
            sink.close();
        }
        catch (final IOException ex)
        {
            LOG.warn("closing {}: {}", sink.describe(), ex.toString());
        }
    }
}
