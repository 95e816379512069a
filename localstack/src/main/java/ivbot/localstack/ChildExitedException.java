package ivbot.localstack;

/**
 * A child process (a broker, a database server) exited while it was expected to start or to run.
 */
public final class ChildExitedException extends IllegalStateException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message which child, its exit status and where its log is.
     */
    public ChildExitedException(final String message)
    {
        super(message);
    }
}
