package ivbot.server.limit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Token buckets keyed by caller (a user's subject, a client address): each key may make {@code ratePerSecond}
 * requests a second on average and {@code burst} at once. Buckets live in a bounded cache and are
 * forgotten after a minute unused, so a flood of distinct keys costs bounded memory (a forgotten key
 * starts again with a full bucket).
 * <p>
 * Thread-safe: one short lock per bucket, never held across calls. Called on event loops.
 */
public final class RateLimiter
{
    private static final long IDLE_EXPIRY_SECONDS = 60;

    private final double tokensPerNs;
    private final double burst;
    private final LongSupplier nanoClock;
    private final Cache<Object, Bucket> buckets;
    private final Function<Object, Bucket> newBucket;
    private final LongAdder limited = new LongAdder();

    /**
     * @param ratePerSecond the average requests a second allowed per key; 0 turns limiting off.
     * @param burst         the requests allowed at once per key (the bucket's size), at least 1.
     * @param maxKeys       the most keys tracked at once.
     * @param nanoClock     a monotonic clock in nanoseconds ({@code System::nanoTime}).
     */
    public RateLimiter(final double ratePerSecond, final int burst, final long maxKeys, final LongSupplier nanoClock)
    {
        if (ratePerSecond < 0 || Double.isNaN(ratePerSecond))
        {
            throw new IllegalArgumentException("ratePerSecond=" + ratePerSecond + " (expected: >= 0)");
        }
        if (burst < 1)
        {
            throw new IllegalArgumentException("burst=" + burst + " (expected: >= 1)");
        }
        if (maxKeys < 1)
        {
            throw new IllegalArgumentException("maxKeys=" + maxKeys + " (expected: >= 1)");
        }
        this.tokensPerNs = ratePerSecond / 1e9;
        this.burst = burst;
        this.nanoClock = nanoClock;
        this.buckets = ratePerSecond == 0 ? null : Caffeine.newBuilder()
            .executor(Runnable::run)
            .maximumSize(maxKeys)
            .expireAfterAccess(IDLE_EXPIRY_SECONDS, TimeUnit.SECONDS)
            .build();
        this.newBucket = key -> new Bucket(this.burst, nanoClock.getAsLong());
    }

    /**
     * @return a limiter that admits everything.
     */
    public static RateLimiter off()
    {
        return new RateLimiter(0, 1, 1, System::nanoTime);
    }

    /**
     * @return whether this limiter limits anything.
     */
    public boolean isOn()
    {
        return buckets != null;
    }

    /**
     * Takes one token from the key's bucket.
     *
     * @param key the caller; compared with {@code equals}.
     * @return 0 when admitted, else how long until a token is free, in nanoseconds (at least 1).
     */
    public long acquire(final Object key)
    {
        if (buckets == null)
        {
            return 0;
        }
        final Bucket bucket = buckets.get(key, newBucket);
        final long waitNs;
        synchronized (bucket)
        {
            final long now = nanoClock.getAsLong();
            bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.lastNs) * tokensPerNs);
            bucket.lastNs = now;
            if (bucket.tokens >= 1.0)
            {
                bucket.tokens -= 1.0;
                return 0;
            }
            waitNs = Math.max(1L, (long)Math.ceil((1.0 - bucket.tokens) / tokensPerNs));
        }
        limited.increment();
        return waitNs;
    }

    /**
     * @return requests refused so far.
     */
    public long limited()
    {
        return limited.sum();
    }

    private static final class Bucket
    {
        double tokens;
        long lastNs;

        Bucket(final double tokens, final long lastNs)
        {
            this.tokens = tokens;
            this.lastNs = lastNs;
        }
    }
}
