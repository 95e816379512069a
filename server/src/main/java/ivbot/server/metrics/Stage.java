package ivbot.server.metrics;

/**
 * The stages whose latency is recorded, in microseconds.
 */
public enum Stage
{
    /** A chat turn from its arrival to its reply, as {@code latency_ms}. Event loops. */
    TOTAL("total", true),
    /** Token verification. Event loops. */
    AUTH("auth", true),
    /** Reading the session. Event loops and Redis I/O threads. */
    SESSION_READ("session_read", true),
    /** Writing the session. Event loops and Redis I/O threads. */
    SESSION_WRITE("session_write", true),
    /** Time a model request waited in the queue. The inference thread. */
    QUEUE_WAIT("queue_wait", false),
    /** One ONNX Runtime call per batch. The inference thread. */
    INFERENCE("inference", false),
    /**
     * An explanation ({@code "explain": true}), from its submission to its result, waiting included. The
     * explainer's thread, into {@link ServerMetrics}'s multi-writer recorder.
     */
    EXPLAIN("explain", true);

    private final String id;
    private final boolean eventLoop;

    Stage(final String id, final boolean eventLoop)
    {
        this.id = id;
        this.eventLoop = eventLoop;
    }

    /**
     * @return true when event loops or client I/O threads record it into {@link ServerMetrics}; false when
     *     the inference thread records it into the agent's {@code SingleWriterRecorder}.
     */
    public boolean eventLoop()
    {
        return eventLoop;
    }

    /**
     * @return the name used in JMX and Prometheus, e.g. {@code session_read}.
     */
    public String id()
    {
        return id;
    }
}
