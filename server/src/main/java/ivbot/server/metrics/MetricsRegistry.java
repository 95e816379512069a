package ivbot.server.metrics;

import ivbot.inference.batch.FallbackReason;
import ivbot.inference.batch.InferenceAgent;
import ivbot.inference.model.IntentModel;
import ivbot.inference.model.ModelRepository;
import ivbot.server.ChatService;
import ivbot.server.intent.IntentClassifier;
import ivbot.server.session.SessionStore;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RMIServerSocketFactory;
import java.rmi.server.UnicastRemoteObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;

/**
 * Publishes {@link ServerMetrics} and the server's counters: runs the reporter that rolls the interval
 * histograms, registers the MBeans under the {@code ivbot} domain, optionally serves remote JMX on a
 * loopback port, and gives the figures to the Prometheus exporter and the operator page.
 */
public final class MetricsRegistry implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(MetricsRegistry.class);

    private final ServerMetrics metrics;
    private final IntentClassifier classifier;
    private final SessionStore store;
    private final MBeanServer mbeans;
    private volatile ModelRepository repository;
    private final List<ObjectName> registered = new ArrayList<>();
    private final ScheduledExecutorService reporter;
    private JMXConnectorServer connector;
    private Registry rmiRegistry;

    /**
     * Starts the reporter; MBeans are registered by {@link #register()}.
     *
     * @param chat       the chat service, whose metrics, classifier and store are published.
     * @param mbeans     where to register the MBeans (the platform server outside tests).
     * @param intervalMs the reporting interval.
     */
    public MetricsRegistry(final ChatService chat, final MBeanServer mbeans, final long intervalMs)
    {
        this(chat.metrics(), chat.classifier(), chat.store(), mbeans, intervalMs);
    }

    private MetricsRegistry(final ServerMetrics metrics, final IntentClassifier classifier, final SessionStore store,
        final MBeanServer mbeans, final long intervalMs)
    {
        if (intervalMs <= 0)
        {
            throw new IllegalArgumentException("intervalMs=" + intervalMs + " (expected: > 0)");
        }
        this.metrics = metrics;
        this.classifier = classifier;
        this.store = store;
        this.mbeans = mbeans;
        metrics.inferenceAgent(classifier::agent);
        reporter = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread t = new Thread(r, "ivbot-metrics");
            t.setDaemon(true);
            return t;
        });
        reporter.scheduleAtFixedRate(this::roll, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    private void roll()
    {
        try
        {
            metrics.roll();
        }
        catch (final RuntimeException ex)
        {
            // keep the schedule alive: a throwing task would be cancelled for good
            LOG.warn("metrics roll failed", ex);
        }
    }

    /**
     * @return the platform MBean server.
     */
    public static MBeanServer platform()
    {
        return ManagementFactory.getPlatformMBeanServer();
    }

    /**
     * Registers the MBeans, replacing any left by an earlier registry in this JVM.
     *
     * @return this.
     * @throws Exception when registration fails.
     */
    public MetricsRegistry register() throws Exception
    {
        for (final Stage stage : Stage.values())
        {
            register(new ObjectName("ivbot:type=Stage,name=" + stage.id()), new StageBean(stage));
        }
        register(new ObjectName("ivbot:type=Server"), new ServerBean());
        return this;
    }

    private void register(final ObjectName name, final Object bean) throws Exception
    {
        if (mbeans.isRegistered(name))
        {
            mbeans.unregisterMBean(name);
        }
        mbeans.registerMBean(bean, name);
        registered.add(name);
    }

    /**
     * Serves remote JMX on {@code 127.0.0.1:port}, at
     * {@code service:jmx:rmi:///jndi/rmi://127.0.0.1:<port>/jmxrmi} (RMI registry and connector on the same
     * port, loopback only, no authentication: tunnel it for remote use).
     *
     * @param port the port.
     * @return the service URL.
     * @throws IOException when the port cannot be bound.
     */
    public JMXServiceURL serveRemote(final int port) throws IOException
    {
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        final RMIServerSocketFactory sockets = p -> new ServerSocket(p, 50, loopback);
        rmiRegistry = LocateRegistry.createRegistry(port, null, sockets);
        final String host = loopback.getHostAddress();
        final JMXServiceURL url = new JMXServiceURL(
            "service:jmx:rmi://" + host + ":" + port + "/jndi/rmi://" + host + ":" + port + "/jmxrmi");
        final Map<String, Object> env = new HashMap<>();
        env.put(RMIConnectorServer.RMI_SERVER_SOCKET_FACTORY_ATTRIBUTE, sockets);
        connector = JMXConnectorServerFactory.newJMXConnectorServer(url, env, mbeans);
        connector.start();
        LOG.info("remote JMX at {}", url);
        return url;
    }

    /**
     * @param repository the model repository for the {@code reloadModel} operation.
     */
    public void repository(final ModelRepository repository)
    {
        this.repository = repository;
    }

    /** @return the latency recorders. */
    public ServerMetrics metrics()
    {
        return metrics;
    }

    /** @return the classifier. */
    public IntentClassifier classifier()
    {
        return classifier;
    }

    /** @return the session store. */
    public SessionStore store()
    {
        return store;
    }

    /**
     * @return the share of chat replies that fell back (any reason) since start.
     */
    public double fallbackShare()
    {
        long fallbacks = 0;
        for (final FallbackReason reason : FallbackReason.values())
        {
            fallbacks += classifier.fallbacks(reason);
        }
        final long replies = Math.max(1, metrics.replies());
        return Math.min(1.0, (double)fallbacks / replies);
    }

    /**
     * @return cache hits over lookups since start, 0 without lookups.
     */
    public double cacheHitRate()
    {
        final long lookups = classifier.cacheLookups();
        return lookups == 0 ? 0 : (double)classifier.cacheHits() / lookups;
    }

    /**
     * @return the model in service, or {@code null}.
     */
    public IntentModel model()
    {
        final InferenceAgent agent = classifier.agent();
        return agent == null ? null : agent.model();
    }

    @Override
    public void close()
    {
        reporter.shutdownNow();
        if (connector != null)
        {
            try
            {
                connector.stop();
            }
            catch (final IOException ignore)
            {
                // closing
            }
        }
        if (rmiRegistry != null)
        {
            try
            {
                UnicastRemoteObject.unexportObject(rmiRegistry, true);
            }
            catch (final IOException ignore)
            {
                // closing
            }
        }
        for (final ObjectName name : registered)
        {
            try
            {
                if (mbeans.isRegistered(name))
                {
                    mbeans.unregisterMBean(name);
                }
            }
            catch (final Exception ignore)
            {
                // closing
            }
        }
    }

    private final class StageBean implements StageMXBean
    {
        private final Stage stage;

        StageBean(final Stage stage)
        {
            this.stage = stage;
        }

        private Histogram last()
        {
            return metrics.histogram(stage, true);
        }

        private Histogram total()
        {
            return metrics.histogram(stage, false);
        }

        @Override
        public long getIntervalCount()
        {
            return last().getTotalCount();
        }

        @Override
        public long getIntervalP50Us()
        {
            return last().getValueAtPercentile(50);
        }

        @Override
        public long getIntervalP90Us()
        {
            return last().getValueAtPercentile(90);
        }

        @Override
        public long getIntervalP99Us()
        {
            return last().getValueAtPercentile(99);
        }

        @Override
        public long getIntervalP999Us()
        {
            return last().getValueAtPercentile(99.9);
        }

        @Override
        public long getIntervalMaxUs()
        {
            return last().getMaxValue();
        }

        @Override
        public long getCount()
        {
            return total().getTotalCount();
        }

        @Override
        public long getP50Us()
        {
            return total().getValueAtPercentile(50);
        }

        @Override
        public long getP90Us()
        {
            return total().getValueAtPercentile(90);
        }

        @Override
        public long getP99Us()
        {
            return total().getValueAtPercentile(99);
        }

        @Override
        public long getP999Us()
        {
            return total().getValueAtPercentile(99.9);
        }

        @Override
        public long getMaxUs()
        {
            return total().getMaxValue();
        }
    }

    private final class ServerBean implements ServerMXBean
    {
        @Override
        public double getRequestsPerSecond()
        {
            return metrics.repliesPerSecond();
        }

        @Override
        public long getRequestsTotal()
        {
            return metrics.replies();
        }

        @Override
        public long getErrorsTotal()
        {
            return metrics.errors();
        }

        @Override
        public long getFallbacksDeadline()
        {
            return classifier.fallbacks(FallbackReason.DEADLINE);
        }

        @Override
        public long getFallbacksQueueFull()
        {
            return classifier.fallbacks(FallbackReason.QUEUE_FULL);
        }

        @Override
        public long getFallbacksModelError()
        {
            return classifier.fallbacks(FallbackReason.MODEL_ERROR);
        }

        @Override
        public long getFallbacksNoModel()
        {
            return classifier.fallbacks(FallbackReason.NO_MODEL);
        }

        @Override
        public long getFallbacksUserShare()
        {
            return classifier.fallbacks(FallbackReason.USER_SHARE);
        }

        @Override
        public double getFallbackShare()
        {
            return fallbackShare();
        }

        @Override
        public double getCacheHitRate()
        {
            return cacheHitRate();
        }

        @Override
        public int getQueueDepth()
        {
            final InferenceAgent agent = classifier.agent();
            return agent == null ? 0 : agent.queueDepth();
        }

        @Override
        public double getBatchSizeP50()
        {
            return metrics.batchSizes(true).getValueAtPercentile(50);
        }

        @Override
        public long getBatchSizeMax()
        {
            return metrics.batchSizes(true).getMaxValue();
        }

        @Override
        public String getModelVersion()
        {
            final IntentModel model = model();
            return model == null ? null : model.version();
        }

        @Override
        public String getModelDevice()
        {
            final IntentModel model = model();
            return model == null ? null : model.device();
        }

        @Override
        public String getSessionStore()
        {
            return store.describe() + (store.isReady() ? " (ready)" : " (degraded)");
        }

        @Override
        public String getSessionStoreState()
        {
            return store.state();
        }

        @Override
        public long getSessionStorePendingWrites()
        {
            return store.pendingWrites();
        }

        @Override
        public long getSessionStoreFailedWrites()
        {
            return store.failedWrites();
        }

        @Override
        public void resetHistograms()
        {
            metrics.reset();
        }

        @Override
        public String reloadModel()
        {
            final ModelRepository models = repository;
            if (models == null)
            {
                return "NO_MODEL_RUNTIME";
            }
            final ModelRepository.Outcome outcome = models.check();
            return outcome == ModelRepository.Outcome.REJECTED ? outcome + ": " + models.lastRejection() : outcome.name();
        }
    }
}
