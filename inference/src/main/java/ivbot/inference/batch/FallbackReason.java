package ivbot.inference.batch;

/**
 * Why a query was answered by the rule engine instead of the model.
 */
public enum FallbackReason
{
    /** The model's answer was not back within the request's deadline. */
    DEADLINE("deadline"),
    /** The queue was full, or its expected wait already exceeded the deadline (admission control). */
    QUEUE_FULL("queue_full"),
    /** The model failed on the request's batch. */
    MODEL_ERROR("model_error"),
    /** No model is loaded. */
    NO_MODEL("no_model"),
    /** The caller already had its fair share of the queue waiting (one user's flood falls back first). */
    USER_SHARE("user_share");

    private final String id;

    FallbackReason(final String id)
    {
        this.id = id;
    }

    /**
     * @return the id used in replies and metrics, e.g. {@code queue_full}.
     */
    public String id()
    {
        return id;
    }
}
