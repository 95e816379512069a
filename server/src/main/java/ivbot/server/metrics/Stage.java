package ivbot.server.metrics;

/**
 * The stages whose latency is recorded, in microseconds.
 */
public enum Stage
{
    /** A chat turn from its arrival to its reply, as {@code latency_ms}. Event loops. */
    TOTAL("total"),
    /** Token verification. Event loops. */
    AUTH("auth"),
    /** Reading the session. Event loops and Redis I/O threads. */
    SESSION_READ("session_read"),
    /** Writing the session. Event loops and Redis I/O threads. */
    SESSION_WRITE("session_write"),
    /** Time a model request waited in the queue. The inference thread. */
    QUEUE_WAIT("queue_wait"),
    /** One ONNX Runtime call per batch. The inference thread. */
    INFERENCE("inference");

    private final String id;

    Stage(final String id)
    {
        this.id = id;
    }

    /**
     * @return the name used in JMX and Prometheus, e.g. {@code session_read}.
     */
    public String id()
    {
        return id;
    }
}
