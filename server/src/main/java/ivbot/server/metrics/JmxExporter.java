package ivbot.server.metrics;

import ivbot.inference.model.ModelRepository;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;

/**
 * The JMX view of the reporter's {@link MetricsSnapshot}: MBeans under the {@code ivbot} domain
 * ({@code ivbot:type=Server}, {@code ivbot:type=Stage,name=<stage>}) whose attributes read the latest
 * snapshot, optionally served on a loopback port for remote JMX. Attribute reads run on JMX threads and copy
 * no histogram. Closing unregisters the MBeans and stops the connector.
 */
public final class JmxExporter implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(JmxExporter.class);

    private final MetricsReporter reporter;
    private final MBeanServer mbeans;
    private final List<ObjectName> registered = new ArrayList<>();
    private volatile ModelRepository repository;
    private JMXConnectorServer connector;
    private Registry rmiRegistry;

    /**
     * Registers nothing yet; see {@link #register()}.
     *
     * @param reporter the reporter whose snapshots are published.
     * @param mbeans   where to register the MBeans ({@link #platform()} outside tests).
     */
    public JmxExporter(final MetricsReporter reporter, final MBeanServer mbeans)
    {
        this.reporter = reporter;
        this.mbeans = mbeans;
    }

    /**
     * @return the platform MBean server.
     */
    public static MBeanServer platform()
    {
        return ManagementFactory.getPlatformMBeanServer();
    }

    /**
     * Registers the MBeans, replacing any left by an earlier exporter in this JVM.
     *
     * @return this.
     * @throws Exception when registration fails.
     */
    public JmxExporter register() throws Exception
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
     * Registers {@code ivbot:type=Canary} for the canary's figures and controls.
     *
     * @param canary the canary controller.
     * @return this.
     * @throws Exception when registration fails.
     */
    public JmxExporter canary(final ivbot.server.intent.CanaryController canary) throws Exception
    {
        register(new ObjectName("ivbot:type=Canary"), new CanaryBean(canary));
        return this;
    }

    /**
     * @param repository the model repository for the {@code reloadModel} operation.
     */
    public void repository(final ModelRepository repository)
    {
        this.repository = repository;
    }

    @Override
    public void close()
    {
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

        private MetricsSnapshot.Percentiles last()
        {
            return reporter.snapshot().stages().get(stage).lastInterval();
        }

        private MetricsSnapshot.Percentiles total()
        {
            return reporter.snapshot().stages().get(stage).sinceStart();
        }

        @Override
        public long getCountLastInterval()
        {
            return last().count();
        }

        @Override
        public long getP50UsLastInterval()
        {
            return last().p50();
        }

        @Override
        public long getP90UsLastInterval()
        {
            return last().p90();
        }

        @Override
        public long getP99UsLastInterval()
        {
            return last().p99();
        }

        @Override
        public long getP999UsLastInterval()
        {
            return last().p999();
        }

        @Override
        public long getMaxUsLastInterval()
        {
            return last().max();
        }

        @Override
        public long getCountSinceStart()
        {
            return total().count();
        }

        @Override
        public long getP50UsSinceStart()
        {
            return total().p50();
        }

        @Override
        public long getP90UsSinceStart()
        {
            return total().p90();
        }

        @Override
        public long getP99UsSinceStart()
        {
            return total().p99();
        }

        @Override
        public long getP999UsSinceStart()
        {
            return total().p999();
        }

        @Override
        public long getMaxUsSinceStart()
        {
            return total().max();
        }
    }

    private static final class CanaryBean implements CanaryMXBean
    {
        private final ivbot.server.intent.CanaryController canary;

        CanaryBean(final ivbot.server.intent.CanaryController canary)
        {
            this.canary = canary;
        }

        @Override
        public String getState()
        {
            return canary.status().state().name().toLowerCase(java.util.Locale.ROOT);
        }

        @Override
        public String getStableVersion()
        {
            return canary.status().stableVersion();
        }

        @Override
        public String getCandidateVersion()
        {
            return canary.status().candidateVersion();
        }

        @Override
        public long getSoakLeftSeconds()
        {
            return canary.status().soakLeftMs() / 1000;
        }

        @Override
        public double getAgreement()
        {
            return canary.status().agreement();
        }

        @Override
        public long getPromotions()
        {
            return canary.promotions();
        }

        @Override
        public long getRollbacks()
        {
            return canary.status().rollbacks();
        }

        @Override
        public String status()
        {
            return ivbot.server.intent.CanaryStatusJson.write(canary.status());
        }

        @Override
        public String promote()
        {
            return canary.promoteNow() == null ? "NOTHING_TO_PROMOTE: " + status() : status();
        }

        @Override
        public String rollback()
        {
            return canary.rollbackNow() == null ? "NOTHING_TO_ROLL_BACK: " + status() : status();
        }

        @Override
        public String pause()
        {
            return canary.pause() ? status() : "NOT_SOAKING: " + status();
        }

        @Override
        public String resume()
        {
            return canary.resume() ? status() : "NOT_PAUSED: " + status();
        }
    }

    private final class ServerBean implements ServerMXBean
    {
        @Override
        public double getRequestsPerSecondLastInterval()
        {
            return reporter.snapshot().requestsPerSecondLastInterval();
        }

        @Override
        public long getRequestsTotal()
        {
            return reporter.snapshot().requestsTotal();
        }

        @Override
        public Map<String, Long> getRequestsBySourceTotal()
        {
            final Map<String, Long> bySource = new LinkedHashMap<>();
            reporter.snapshot().requests().forEach((source, n) -> bySource.put(source.id(), n));
            return bySource;
        }

        @Override
        public long getErrorsTotal()
        {
            return reporter.snapshot().errorsTotal();
        }

        @Override
        public Map<String, Long> getSamples()
        {
            final Map<String, Long> bySeries = new LinkedHashMap<>();
            for (final MetricsSnapshot.Sample sample : reporter.snapshot().samples())
            {
                bySeries.put(sample.series(), sample.value());
            }
            return bySeries;
        }

        @Override
        public Map<String, Long> getFallbacksTotal()
        {
            final Map<String, Long> byReason = new LinkedHashMap<>();
            reporter.snapshot().fallbacks().forEach((reason, n) -> byReason.put(reason.id(), n));
            return byReason;
        }

        @Override
        public double getFallbackShare()
        {
            return reporter.snapshot().fallbackShare();
        }

        @Override
        public double getCacheHitRate()
        {
            return reporter.snapshot().cacheHitRate();
        }

        @Override
        public int getQueueDepth()
        {
            return reporter.snapshot().queueDepth();
        }

        @Override
        public long getBatchSizeP50LastInterval()
        {
            return reporter.snapshot().batches().lastInterval().p50();
        }

        @Override
        public long getBatchSizeMaxLastInterval()
        {
            return reporter.snapshot().batches().lastInterval().max();
        }

        @Override
        public long getBatchesTotal()
        {
            return reporter.snapshot().batches().sinceStart().count();
        }

        @Override
        public long getBatchSizeP50SinceStart()
        {
            return reporter.snapshot().batches().sinceStart().p50();
        }

        @Override
        public String getModelVersion()
        {
            final MetricsSnapshot.ModelFigures model = reporter.snapshot().model();
            return model == null ? null : model.version();
        }

        @Override
        public String getModelDevice()
        {
            final MetricsSnapshot.ModelFigures model = reporter.snapshot().model();
            return model == null ? null : model.device();
        }

        @Override
        public String getSessionStore()
        {
            final MetricsSnapshot.StoreFigures store = reporter.snapshot().store();
            return store.kind() + (store.ready() ? " (ready)" : " (degraded)");
        }

        @Override
        public String getSessionStoreState()
        {
            return reporter.snapshot().store().state();
        }

        @Override
        public long getSessionStorePendingWrites()
        {
            return reporter.snapshot().store().pendingWrites();
        }

        @Override
        public long getSessionStoreFailedWrites()
        {
            return reporter.snapshot().store().failedWrites();
        }

        @Override
        public double getIntervalSeconds()
        {
            return reporter.snapshot().intervalSeconds();
        }

        @Override
        public void resetHistograms()
        {
            reporter.resetHistograms();
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
