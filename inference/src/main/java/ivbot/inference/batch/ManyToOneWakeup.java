package ivbot.inference.batch;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The handshake that lets one consumer thread park while idle without missing work that many producers
 * publish: a Dekker-style pairing of a volatile {@code parked} flag with the producers' work queue.
 * <pre>
 *   producer (any thread)                 owner (the one consumer thread)
 *   publish work (volatile write/CAS)     parked = true              (volatile write)
 *   if (parked) unpark(owner)             if (!hasWork) park         (volatile read of the queue)
 *   (volatile read)                       parked = false
 * </pre>
 * Each side writes its own variable and then reads the other's, all with volatile semantics, so the
 * synchronisation order puts one write first: either the owner's re-check sees the work and it does not
 * park, or the producer sees {@code parked} and unparks it. The outcome "the owner parks on an empty-looking
 * queue and the producer saw it not parked" is impossible; {@code ivbot.jcstress.WakeupHandshakeTest}
 * checks exactly that with the agent's queue. A producer may also unpark an owner that has just decided
 * not to park: that leaves a spare permit, which only makes one later park return early.
 * <p>
 * Threads: {@link #wake} from any thread, after the work is published with a volatile write or a CAS
 * (as {@code ManyToOneConcurrentArrayQueue.offer} does); {@link #ownerThread}, {@link #prepareToPark} and
 * {@link #park} from the owner thread only. Wait-free for producers.
 */
public final class ManyToOneWakeup
{
    private volatile Thread owner;
    private volatile boolean parked;

    /**
     * Binds the thread that parks. Call from that thread before it first parks.
     *
     * @param thread the owner thread.
     */
    public void ownerThread(final Thread thread)
    {
        owner = thread;
    }

    /**
     * Producer side, after publishing work: unparks the owner when it is parked or about to park.
     *
     * @return true when the owner was found parked or about to park (and was unparked).
     */
    public boolean wake()
    {
        if (parked)
        {
            // unpark(null) does nothing: an owner not yet bound has not parked either
            LockSupport.unpark(owner);
            return true;
        }
        return false;
    }

    /**
     * Owner side, first half of parking: announces the owner is about to park, then re-checks for work.
     * When this returns true the owner must call {@link #park} next: every producer that publishes from
     * now on finds it parked and wakes it.
     *
     * @param hasWork re-reads the work queue (with a volatile read) after the announcement.
     * @return true when there is no work and the owner may park; false when there is work (the
     * announcement is withdrawn).
     */
    public boolean prepareToPark(final BooleanSupplier hasWork)
    {
        parked = true;
        if (hasWork.getAsBoolean())
        {
            parked = false;
            return false;
        }
        return true;
    }

    /**
     * Owner side, second half of parking: parks for at most {@code parkNs} (a {@link #wake} ends it early,
     * as may a spurious wake-up), then withdraws the announcement.
     *
     * @param parkNs the most to park, nanoseconds.
     */
    public void park(final long parkNs)
    {
        LockSupport.parkNanos(this, parkNs);
        parked = false;
    }
}
