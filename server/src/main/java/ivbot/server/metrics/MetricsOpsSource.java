package ivbot.server.metrics;

import ivbot.inference.batch.FallbackReason;
import ivbot.inference.model.IntentModel;
import ivbot.server.http.OpsStats;
import org.HdrHistogram.Histogram;

/**
 * The operator page's figures from the server's metrics: latency of the last interval, counters since
 * start, the batch sizes since start, the model in service and the session store's state.
 */
public final class MetricsOpsSource implements OpsStats.Source
{
    private final MetricsRegistry registry;
    private Histogram total = new Histogram(3);
    private Histogram batches = new Histogram(3);

    /**
     * @param registry the published metrics.
     */
    public MetricsOpsSource(final MetricsRegistry registry)
    {
        this.registry = registry;
    }

    @Override
    public synchronized void refresh()
    {
        total = registry.metrics().histogram(Stage.TOTAL, true);
        batches = registry.metrics().batchSizes(false);
    }

    @Override
    public long uptimeSeconds()
    {
        return registry.metrics().uptimeSeconds();
    }

    @Override
    public long requestsTotal()
    {
        return registry.metrics().replies();
    }

    @Override
    public double qps()
    {
        return registry.metrics().repliesPerSecond();
    }

    @Override
    public synchronized double latencyP50Ms()
    {
        return total.getTotalCount() == 0 ? 0 : total.getValueAtPercentile(50) / 1000.0;
    }

    @Override
    public synchronized double latencyP99Ms()
    {
        return total.getTotalCount() == 0 ? 0 : total.getValueAtPercentile(99) / 1000.0;
    }

    @Override
    public long fallbacks(final FallbackReason reason)
    {
        return registry.classifier().fallbacks(reason);
    }

    @Override
    public double fallbackShare()
    {
        return registry.fallbackShare();
    }

    @Override
    public double cacheHitRate()
    {
        return registry.cacheHitRate();
    }

    @Override
    public synchronized double batchSizeP50()
    {
        return batches.getTotalCount() == 0 ? 0 : batches.getValueAtPercentile(50);
    }

    @Override
    public synchronized int batchSizeMax()
    {
        return (int)batches.getMaxValue();
    }

    @Override
    public synchronized long batchSizeCount(final int size)
    {
        return batches.getCountAtValue(size);
    }

    @Override
    public String modelVersion()
    {
        final IntentModel model = registry.model();
        return model == null ? null : model.version();
    }

    @Override
    public String modelDevice()
    {
        final IntentModel model = registry.model();
        return model == null ? null : model.device();
    }

    @Override
    public String sessionStoreKind()
    {
        return registry.store().describe();
    }

    @Override
    public boolean sessionStoreReady()
    {
        return registry.store().isReady();
    }
}
