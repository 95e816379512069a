package ivbot.server.metrics;

import java.util.Map;

/**
 * The server's figures, registered as {@code ivbot:type=Server}. Each read returns a field of the reporter's
 * latest {@link MetricsSnapshot} (nothing copied or computed on the JMX thread); {@code ...LastInterval}
 * figures cover the last reporter interval only and read 0 at rest, {@code ...Total} and
 * {@code ...SinceStart} figures cover the time since start.
 */
public interface ServerMXBean
{
    /** @return chat replies per second over the last interval. */
    double getRequestsPerSecondLastInterval();

    /** @return chat replies since start. */
    long getRequestsTotal();

    /** @return chat replies since start by source ({@code model}, {@code cache}, {@code rules}). */
    Map<String, Long> getRequestsBySourceTotal();

    /** @return requests answered with an error since start. */
    long getErrorsTotal();

    /** @return turns the rules answered for the model since start, by reason id (one entry per reason). */
    Map<String, Long> getFallbacksTotal();

    /** @return the figures other parts registered (request limits, session evictions, events), by series. */
    Map<String, Long> getSamples();

    /** @return the share of replies that fell back to the rules, since start. */
    double getFallbackShare();

    /** @return cache hits (replies whose source is {@code cache}) over cache lookups, since start. */
    double getCacheHitRate();

    /** @return requests waiting for the inference thread at the last roll. */
    int getQueueDepth();

    /** @return the median batch size over the last interval (0 without batches). */
    long getBatchSizeP50LastInterval();

    /** @return the largest batch size over the last interval (0 without batches). */
    long getBatchSizeMaxLastInterval();

    /** @return batches run since start. */
    long getBatchesTotal();

    /** @return the median batch size since start. */
    long getBatchSizeP50SinceStart();

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

    /** @return the length of the last reporter interval, s. */
    double getIntervalSeconds();

    /** Forgets all recorded latencies and batch sizes; counters keep counting. */
    void resetHistograms();

    /**
     * Checks the model repository now.
     *
     * @return what happened: UNCHANGED, INSTALLED or REJECTED (with the reason), or NO_MODEL_RUNTIME.
     */
    String reloadModel();
}
