package ivbot.localstack;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a child process to answer: the condition is checked every {@code interval} until it holds or the
 * timeout passes; a {@link RuntimeException} from it counts as "not yet" (a port still closed), except a
 * {@link ChildExitedException} (the child is gone: no point waiting), which ends the wait at once.
 */
public final class Poll
{
    private Poll()
    {
    }

    /**
     * @param condition what to wait for.
     * @param timeout   how long at most.
     * @param interval  how long between two checks.
     * @param what      named in the failure.
     * @throws IllegalStateException when the timeout passes first.
     */
    public static void until(final BooleanSupplier condition, final Duration timeout, final Duration interval,
        final String what)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            try
            {
                if (condition.getAsBoolean())
                {
                    return;
                }
            }
            catch (final ChildExitedException gone)
            {
                throw gone;
            }
            catch (final RuntimeException notYet)
            {
                // not yet
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            LockSupport.parkNanos(interval.toNanos());
        }
    }
}
