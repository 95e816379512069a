package ivbot.server.metrics;

/**
 * The server's figures, registered as {@code ivbot:type=Server}.
 */
public interface ServerMXBean
{
    /** @return chat replies per second over the last interval. */
    double getRequestsPerSecond();

    /** @return chat replies since start. */
    long getRequestsTotal();

    /** @return requests answered with an error since start. */
    long getErrorsTotal();

    long getFallbacksDeadline();

    long getFallbacksQueueFull();

    long getFallbacksModelError();

    long getFallbacksNoModel();

    /** @return turns answered by the rules because their user already had its share of the queue waiting. */
    long getFallbacksUserShare();

    /** @return the share of replies that fell back to the rules, since start. */
    double getFallbackShare();

    /** @return cache hits over cache lookups, since start. */
    double getCacheHitRate();

    /** @return requests waiting for the inference thread now. */
    int getQueueDepth();

    /** @return the median batch size over the last interval. */
    double getBatchSizeP50();

    /** @return the largest batch size over the last interval. */
    long getBatchSizeMax();

    /** @return the model version in service, or null. */
    String getModelVersion();

    /** @return the model's device, or null. */
    String getModelDevice();

    /** @return the session store and whether it is ready. */
    String getSessionStore();

    /** @return the session store's state: up, connecting, switching, down or closed. */
    String getSessionStoreState();

    /** @return session writes not yet acknowledged, including those held through a switch. */
    long getSessionStorePendingWrites();

    /** @return session writes that ran out of their window or were refused, since start. */
    long getSessionStoreFailedWrites();

    /** Forgets all recorded latencies. */
    void resetHistograms();

    /**
     * Checks the model repository now.
     *
     * @return what happened: UNCHANGED, INSTALLED or REJECTED (with the reason), or NO_MODEL_RUNTIME.
     */
    String reloadModel();
}
