package ivbot.server;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets at most one log line through per interval and counts the ones it held back, so that a failure hit
 * by every request (a session store outage) logs a line every few seconds instead of one per request.
 * <p>
 * Thread-safe and lock-free: one CAS on the time of the last line.
 */
public final class LogThrottle
{
    private final long intervalNs;
    private final AtomicLong lastNs;
    private final AtomicLong suppressed = new AtomicLong();

    /**
     * @param intervalNs the least time between two lines, in nanoseconds.
     */
    public LogThrottle(final long intervalNs)
    {
        if (intervalNs <= 0)
        {
            throw new IllegalArgumentException("intervalNs=" + intervalNs + " (expected: > 0)");
        }
        this.intervalNs = intervalNs;
        this.lastNs = new AtomicLong(System.nanoTime() - intervalNs);
    }

    /**
     * @return true when the caller may log now; false counts one suppressed line.
     */
    public boolean tryAcquire()
    {
        final long now = System.nanoTime();
        final long last = lastNs.get();
        if (now - last >= intervalNs && lastNs.compareAndSet(last, now))
        {
            return true;
        }
        suppressed.incrementAndGet();
        return false;
    }

    /**
     * @return the lines suppressed since the last call, which resets the count (call it when logging).
     */
    public long suppressed()
    {
        return suppressed.getAndSet(0);
    }
}
