package ivbot.server.events;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import ivbot.server.Await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Apache Kafka 4.4 broker in KRaft mode (one node, broker and controller), as a child JVM on free
 * loopback ports, from the {@code org.apache.kafka:kafka_2.13} artifact on the test class path: formatted with
 * {@code kafka.tools.StorageTool format --standalone}, run with {@code kafka.Kafka}. {@link #kill()} stops it
 * with SIGKILL and {@link #start()} starts it again on the same ports and data. Not thread-safe.
 */
final class KafkaBroker implements AutoCloseable
{
    private final Path dir;
    private final int port = freePort();
    private final int controllerPort = freePort();
    private final Path properties;
    private Process process;

    KafkaBroker(final Path dir) throws Exception
    {
        this.dir = dir;
        this.properties = dir.resolve("server.properties");
        Files.writeString(properties, String.join("\n",
            "process.roles=broker,controller",
            "node.id=1",
            "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
            "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
            "log.dirs=" + dir.resolve("data"),
            "num.partitions=4",
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=true",
            ""));
        run(List.of("kafka.tools.StorageTool", "format", "--standalone", "-t", Uuid.randomUuid().toString(),
            "-c", properties.toString()), "format", true);
        start();
    }

    static int freePort()
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    String bootstrap()
    {
        return "127.0.0.1:" + port;
    }

    void start() throws Exception
    {
        process = run(List.of("kafka.Kafka", properties.toString()), "broker", false);
        Await.until(() ->
        {
            if (!process.isAlive())
            {
                throw new AssertionError("Kafka exited (log: " + dir.resolve("broker.log") + ")");
            }
            return answers();
        }, Duration.ofSeconds(60), "Kafka to answer (log: " + dir.resolve("broker.log") + ")");
    }

    private boolean answers()
    {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000)))
        {
            admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
            return true;
        }
        catch (final Exception notYet)
        {
            return false;
        }
    }

    /**
     * Creates a topic (as a deployment would before pointing ivbot at it).
     */
    void createTopic(final String name, final int partitions) throws Exception
    {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap())))
        {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(name, partitions, (short)1)))
                .all().get(30, TimeUnit.SECONDS);
        }
    }

    void kill() throws InterruptedException
    {
        if (process != null)
        {
            process.destroyForcibly().waitFor();
        }
    }

    private Process run(final List<String> mainAndArgs, final String name, final boolean waitFor) throws Exception
    {
        final List<String> command = new java.util.ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
            "-cp", System.getProperty("java.class.path")));
        command.addAll(mainAndArgs);
        final Process p = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile())).start();
        if (waitFor && (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0))
        {
            p.destroyForcibly();
            throw new IllegalStateException(name + " failed: " + Files.readString(dir.resolve(name + ".log")));
        }
        return p;
    }

    @Override
    public void close() throws InterruptedException
    {
        kill();
    }
}
