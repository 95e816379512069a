package ivbot.server.session;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The store is down (no answer from Redis for longer than the write window) or has not connected yet:
 * the read or write was not attempted and failed at once, so a turn goes on without context instead of
 * waiting. Carries no stack trace: an expected outcome while Redis is away.
 */
public final class SessionStoreUnavailableException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message why, e.g. {@code "redis down for 5000 ms"}.
     */
    public SessionStoreUnavailableException(final String message)
    {
        super(message, null, false, false);
    }

    /**
     * @param error a failure from a store future, possibly wrapped in a {@link CompletionException}.
     * @return true when the failure, or the failure it wraps, is a {@code SessionStoreUnavailableException}.
     */
    public static boolean isCause(final Throwable error)
    {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null)
        {
            t = t.getCause();
        }
        return t instanceof SessionStoreUnavailableException;
    }
}
