package ivbot.server;

import ivbot.localstack.Poll;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition with a timeout, for tests that watch something outside the JVM (a child process,
 * a redis-server, a broker) that has no event to wait on: the condition is checked every 20 ms (or the
 * interval given), a
 * {@link RuntimeException} from it counts as "not yet" (a node still starting, a connection refused).
 */
public final class Await
{
    private Await()
    {
    }

    /**
     * @param condition what to wait for.
     * @param timeout   how long at most.
     * @param what      named in the failure.
     * @throws AssertionError when the timeout passes first.
     */
    public static void until(final BooleanSupplier condition, final Duration timeout, final String what)
    {
        until(condition, timeout, Duration.ofMillis(20), what);
    }

    /**
     * @param condition what to wait for.
     * @param timeout   how long at most.
     * @param interval  how long between two checks (a check that is itself a request may count against a rate
     *                  limit).
     * @param what      named in the failure.
     * @throws AssertionError when the timeout passes first.
     */
    public static void until(final BooleanSupplier condition, final Duration timeout, final Duration interval,
        final String what)
    {
        try
        {
            Poll.until(condition, timeout, interval, what);
        }
        catch (final IllegalStateException timedOut)
        {
            throw new AssertionError(timedOut.getMessage());
        }
    }
}
