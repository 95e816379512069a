package ivbot.inference.batch;

/**
 * Reported to the inference agent's error handler when a batch fails with an {@link Exception}: says how
 * many requests were answered {@code model_error} and which model failed; the cause is what the model
 * threw.
 */
public final class BatchFailedException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param requests the requests of the batch, all answered {@code model_error}.
     * @param version  the version of the model that failed.
     * @param cause    what the model threw.
     */
    public BatchFailedException(final int requests, final String version, final Throwable cause)
    {
        super("batch of " + requests + (requests == 1 ? " request" : " requests") + " on model " + version +
            " failed, answered model_error: " + cause, cause);
    }
}
