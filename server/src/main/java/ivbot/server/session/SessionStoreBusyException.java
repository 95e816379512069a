package ivbot.server.session;

/**
 * A write that the store took but could not make land: it did not reach Redis within its window (5 s by
 * default) from when it was made, or the local write queue was full. The caller answers "busy" (HTTP 503
 * with Retry-After). A write that failed this way may still have landed if its last attempt was on the
 * wire when the window ran out. Carries no stack trace: an expected outcome during a switch.
 */
public final class SessionStoreBusyException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message why, e.g. {@code "save not written within 5000 ms"}.
     * @param cause   the last failure from Redis, or {@code null}.
     */
    public SessionStoreBusyException(final String message, final Throwable cause)
    {
        super(message, cause, false, false);
    }
}
