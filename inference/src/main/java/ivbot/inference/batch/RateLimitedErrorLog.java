package ivbot.inference.batch;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An Agrona {@link ErrorHandler} that logs each error at ERROR through SLF4J, at most one line per
 * {@code intervalNs} for each kind of error, so that a model failing every batch cannot flood the log.
 * A kind is the error's class together with the class of its root cause (a {@link BatchFailedException}
 * caused by an {@code OrtException} is one kind, one caused by an {@code IllegalStateException} another).
 * The errors of a kind that arrive within the interval after a logged one are counted, not logged; the
 * next line logged for that kind says how many were suppressed. Count errors elsewhere (the agent's and
 * the {@code AgentRunner}'s error counter): suppressed errors are only reported with the next line.
 * <p>
 * Threads: {@link #onError} may be called from any thread; it synchronises on this handler, which is
 * fine for errors and wrong for a hot path.
 */
public final class RateLimitedErrorLog implements ErrorHandler
{
    /** The default interval: at most one line per kind of error every 10 seconds. */
    public static final long DEFAULT_INTERVAL_NS = TimeUnit.SECONDS.toNanos(10);

    private final Logger logger;
    private final String label;
    private final long intervalNs;
    private final NanoClock clock;
    private final Map<String, Window> windows = new HashMap<>();

    /**
     * @param logger     where lines go, at ERROR.
     * @param label      what failed, the start of every line, e.g. {@code inference}.
     * @param intervalNs the least time between two lines of one kind, nanoseconds.
     * @param clock      the time source of the interval.
     */
    public RateLimitedErrorLog(final Logger logger, final String label, final long intervalNs, final NanoClock clock)
    {
        if (logger == null)
        {
            throw new NullPointerException("logger");
        }
        if (label == null)
        {
            throw new NullPointerException("label");
        }
        if (intervalNs < 0)
        {
            throw new IllegalArgumentException("intervalNs=" + intervalNs + " (expected: >= 0)");
        }
        if (clock == null)
        {
            throw new NullPointerException("clock");
        }
        this.logger = logger;
        this.label = label;
        this.intervalNs = intervalNs;
        this.clock = clock;
    }

    @Override
    public synchronized void onError(final Throwable error)
    {
        final long now = clock.nanoTime();
        final Window window = windows.computeIfAbsent(kind(error), k -> new Window());
        if (window.logged && now - window.loggedNs < intervalNs)
        {
            window.suppressed++;
            return;
        }
        final long suppressed = window.suppressed;
        final long sinceNs = now - window.loggedNs;
        window.logged = true;
        window.loggedNs = now;
        window.suppressed = 0;
        if (suppressed == 0)
        {
            logger.error("{}: {}", label, error.toString(), error);
        }
        else
        {
            logger.error("{}: {} ({} more like it suppressed in the last {} ms)", label, error.toString(), suppressed,
                TimeUnit.NANOSECONDS.toMillis(sinceNs), error);
        }
    }

    private static String kind(final Throwable error)
    {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root)
        {
            root = root.getCause();
        }
        return root == error ? error.getClass().getName() : error.getClass().getName() + "<-" + root.getClass().getName();
    }

    private static final class Window
    {
        boolean logged;
        long loggedNs;
        long suppressed;
    }
}
