package ivbot.server.session;

/**
 * A write the store refused because the session belongs to another user: two users chose the same new
 * session id at the same time, or a client wrote to an id it does not own. The turn is not acknowledged.
 */
public final class SessionConflictException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param sessionId the session id.
     */
    public SessionConflictException(final String sessionId)
    {
        super("session " + sessionId + " belongs to another user", null, false, false);
    }
}
