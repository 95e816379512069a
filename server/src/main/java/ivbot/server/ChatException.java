package ivbot.server;

/**
 * A request-level failure with the HTTP status, the machine-readable code and the message that the client
 * sees. The protobuf transport carries the same three values in an {@code Error} frame. Carries no stack
 * trace: these are expected outcomes, not bugs.
 */
public final class ChatException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final long retryAfterSeconds;

    /**
     * @param status  the HTTP status, e.g. 400.
     * @param code    the machine-readable code, e.g. {@code "bad_request"}.
     * @param message the human-readable message.
     */
    public ChatException(final int status, final String code, final String message)
    {
        this(status, code, message, status == 503 ? 1 : 0);
    }

    /**
     * @param status            the HTTP status, e.g. 429.
     * @param code              the machine-readable code, e.g. {@code "rate_limited"}.
     * @param message           the human-readable message.
     * @param retryAfterSeconds when the client may try again ({@code Retry-After}), 0 when not said.
     */
    public ChatException(final int status, final String code, final String message, final long retryAfterSeconds)
    {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /**
     * @return seconds until the client may retry ({@code Retry-After}), 0 when not said.
     */
    public long retryAfterSeconds()
    {
        return retryAfterSeconds;
    }

    /**
     * @return the HTTP status.
     */
    public int status()
    {
        return status;
    }

    /**
     * @return the machine-readable code.
     */
    public String code()
    {
        return code;
    }

    public static ChatException badRequest(final String message)
    {
        return new ChatException(400, "bad_request", message);
    }

    public static ChatException unauthorized(final String message)
    {
        return new ChatException(401, "unauthorized", message);
    }

    public static ChatException forbidden(final String message)
    {
        return new ChatException(403, "forbidden", message);
    }

    public static ChatException notFound(final String message)
    {
        return new ChatException(404, "not_found", message);
    }

    public static ChatException conflict(final String message)
    {
        return new ChatException(409, "session_conflict", message);
    }

    public static ChatException tooManyRequests(final String message, final long retryAfterSeconds)
    {
        return new ChatException(429, "rate_limited", message, retryAfterSeconds);
    }

    public static ChatException busy(final String message)
    {
        return new ChatException(503, "busy", message);
    }

    /**
     * Maps any failure to the exception the client sees: a {@code ChatException} stays as it is (also
     * when wrapped in a {@code CompletionException}), anything else becomes a 500 that hides internals.
     *
     * @param cause a failure from a request's processing.
     * @return the client-facing exception.
     */
    public static ChatException of(final Throwable cause)
    {
        Throwable t = cause;
        while (t != null)
        {
            if (t instanceof ChatException)
            {
                return (ChatException)t;
            }
            if (t instanceof ivbot.server.session.SessionConflictException)
            {
                return conflict("session_id is in use by another user; start a new session");
            }
            if (t instanceof ivbot.server.session.SessionStoreUnavailableException ||
                t instanceof ivbot.server.session.SessionStoreBusyException)
            {
                return busy(ChatService.BUSY_MESSAGE);
            }
            t = t.getCause();
        }
        return new ChatException(500, "internal", "internal error");
    }
}
