package ivbot.server.metrics;

import ivbot.server.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The published figures: MBeans through a real remote JMX connector, and {@code /metrics} as Prometheus
 * text over a real socket. Each test has its own server, so none depends on what another did first (the
 * JMX test resets the histograms).
 */
@Timeout(60)
class MetricsEndpointsTest
{
    private static final Pattern SAMPLE = Pattern.compile(
        "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\")(,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\")*\\})? (-?[0-9.eE+-]+|NaN|\\+Inf|-Inf)$");
    private TestServer server;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception
    {
        server = TestServer.start();
        final String token = TestServer.token("metrics-user");
        for (final String query : new String[] {"年假几天", "病假工资怎么算", "公积金比例多少"})
        {
            final HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(uri("/v1/chat"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"" + query + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
        }
        CLIENT.send(HttpRequest.newBuilder(uri("/v1/chat")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"x\"}")).build(), HttpResponse.BodyHandlers.ofString());
        server.reporter().roll();
    }

    @AfterEach
    void stop()
    {
        server.close();
    }

    private URI uri(final String path)
    {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    @Test
    void shouldServePrometheusTextThatParses() throws Exception
    {
        final HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(uri("/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"));
        final Map<String, String> types = new HashMap<>();
        final Map<String, Double> samples = new HashMap<>();
        for (final String line : response.body().split("\n"))
        {
            if (line.startsWith("# TYPE "))
            {
                final String[] parts = line.split(" ");
                assertEquals(4, parts.length, line);
                assertTrue(parts[3].matches("counter|gauge|histogram|summary"), line);
                types.put(parts[2], parts[3]);
                continue;
            }
            if (line.startsWith("# HELP ") || line.isEmpty())
            {
                continue;
            }
            final Matcher m = SAMPLE.matcher(line);
            if (!m.matches())
            {
                fail("not Prometheus text: " + line);
            }
            final String family = m.group(1).replaceAll("_(bucket|sum|count)$", "");
            assertTrue(types.containsKey(m.group(1)) || types.containsKey(family), "sample before its TYPE: " + line);
            samples.put(line.substring(0, line.lastIndexOf(' ')), Double.parseDouble(m.group(5).replace("+Inf", "Infinity")));
        }
        assertEquals(3.0, samples.get("ivbot_requests_total{source=\"rules\"}"));
        assertEquals(1.0, samples.get("ivbot_errors_total{code=\"unauthorized\"}"), "the chat without a token");
        assertEquals(0.0, samples.get("ivbot_errors_total{code=\"internal\"}"), "present before the first 500");
        assertEquals(3.0, samples.get("ivbot_fallbacks_total{reason=\"no_model\"}"));
        assertEquals(0.0, samples.get("ivbot_inference_errors_total"), "no agent: no inference errors");
        assertEquals(1.0, samples.get("ivbot_session_store_up"));
        assertEquals(1.0, samples.get("ivbot_session_store_state{state=\"up\"}"));
        assertEquals(0.0, samples.get("ivbot_session_store_pending_writes"));
        assertEquals(0.0, samples.get("ivbot_session_store_failed_writes_total"));
        assertEquals(3.0, samples.get("ivbot_stage_latency_seconds_count{stage=\"total\"}"));
        double previous = 0;
        for (final String le : new String[] {"5.0E-4", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.2", "0.3", "0.5", "1.0", "2.5", "+Inf"})
        {
            final double bucket = samples.get("ivbot_stage_latency_seconds_bucket{stage=\"total\",le=\"" + le + "\"}");
            assertTrue(bucket >= previous, "buckets are cumulative at le=" + le);
            previous = bucket;
        }
        assertEquals(3.0, previous);
        assertTrue(samples.get("jvm_memory_used_bytes{area=\"heap\"}") > 0);
        assertTrue(samples.get("jvm_memory_used_bytes{area=\"nonheap\"}") > 0);
        assertTrue(samples.get("jvm_threads_current") > 0);
        assertTrue(samples.get("process_cpu_seconds_total") > 0);
        assertTrue(samples.get("process_resident_memory_bytes") > 0);
        assertTrue(samples.get("process_open_fds") > 0);
        assertTrue(samples.get("process_start_time_seconds") > 1.6e9);
        assertTrue(samples.keySet().stream().anyMatch(k -> k.startsWith("jvm_gc_collection_seconds_count{gc=")),
            samples.keySet().toString());
    }

    @Test
    void shouldPublishMBeansOverRemoteJmx() throws Exception
    {
        final int port;
        try (ServerSocket probe = new ServerSocket(0))
        {
            port = probe.getLocalPort();
        }
        try (JmxExporter jmx = new JmxExporter(server.reporter(), JmxExporter.platform()).register();
             JMXConnector connector = JMXConnectorFactory.connect(jmx.serveRemote(port)))
        {
            final MBeanServerConnection connection = connector.getMBeanServerConnection();
            final ObjectName serverBean = new ObjectName("ivbot:type=Server");
            assertEquals(3L, connection.getAttribute(serverBean, "RequestsTotal"));
            final TabularData fallbacks = (TabularData)connection.getAttribute(serverBean, "FallbacksTotal");
            final CompositeData noModel = fallbacks.get(new Object[] {"no_model"});
            assertEquals(3L, noModel.get("value"));
            assertEquals(5, fallbacks.size(), "one entry per fallback reason");
            assertEquals(1.0, (Double)connection.getAttribute(serverBean, "FallbackShare"), 1e-9);
            assertEquals(0L, connection.getAttribute(serverBean, "BatchSizeP50LastInterval"));
            assertTrue(((String)connection.getAttribute(serverBean, "SessionStore")).startsWith("memory"));
            assertEquals("up", connection.getAttribute(serverBean, "SessionStoreState"));
            assertEquals(0L, connection.getAttribute(serverBean, "SessionStorePendingWrites"));
            assertEquals(0L, connection.getAttribute(serverBean, "SessionStoreFailedWrites"));
            assertEquals("NO_MODEL_RUNTIME", connection.invoke(serverBean, "reloadModel", null, null));

            final ObjectName total = new ObjectName("ivbot:type=Stage,name=total");
            assertEquals(3L, connection.getAttribute(total, "CountSinceStart"));
            // the server's own reporter may have rolled an empty interval since: at most what was sent
            assertTrue((Long)connection.getAttribute(total, "CountLastInterval") <= 3L);
            final long p99 = (Long)connection.getAttribute(total, "P99UsSinceStart");
            final long max = (Long)connection.getAttribute(total, "MaxUsSinceStart");
            assertTrue(p99 > 0 && p99 <= max, "p99 " + p99 + " max " + max);
            assertTrue(connection.isRegistered(new ObjectName("ivbot:type=Stage,name=session_write")));

            connection.invoke(serverBean, "resetHistograms", null, null);
            assertEquals(0L, connection.getAttribute(total, "CountSinceStart"));
            assertEquals(3L, connection.getAttribute(serverBean, "RequestsTotal"), "counters keep counting");
        }
    }
}
