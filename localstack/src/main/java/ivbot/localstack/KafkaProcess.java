package ivbot.localstack;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A real Apache Kafka 4.4 broker in KRaft mode (one node, broker and controller), as a child JVM on free
 * loopback ports, from the {@code org.apache.kafka:kafka_2.13} artifact on this JVM's class path: formatted with
 * {@code kafka.tools.StorageTool format --standalone}, run with {@code kafka.Kafka}; its log is
 * {@code broker.log} in its folder. {@link #kill()} stops it with SIGKILL and {@link #start()} starts it again on
 * the same ports and data. Used by one thread at a time.
 * <p>
 * A detached broker ({@link #start(Path, boolean)}) runs in its own session ({@code setsid}), so that it outlives
 * the JVM that started it ({@code ./ivbot analytics up}); another JVM stops it by its pid.
 */
public final class KafkaProcess implements AutoCloseable
{
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path dir;
    private final boolean detached;
    private final int port = FreePort.next();
    private final int controllerPort = FreePort.next();
    private final Path properties;
    private Process process;

    private KafkaProcess(final Path dir, final boolean detached) throws IOException
    {
        this.dir = dir;
        this.detached = detached;
        this.properties = dir.resolve("server.properties");
        Files.createDirectories(dir);
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
    }

    /**
     * Formats a new broker's storage in {@code dir} (unless it holds a formatted one) and starts it, a child of
     * this JVM.
     *
     * @param dir its folder (configuration, data, logs), created if missing.
     * @return the broker, answering on {@link #bootstrap()}.
     * @throws IOException          when the folder cannot be written.
     * @throws IllegalStateException when formatting fails or the broker does not answer within 60 s.
     */
    public static KafkaProcess start(final Path dir) throws IOException
    {
        return start(dir, false);
    }

    /**
     * @param dir      its folder (configuration, data, logs), created if missing.
     * @param detached whether it runs in its own session and outlives this JVM.
     * @return the broker, answering on {@link #bootstrap()}.
     * @throws IOException          when the folder cannot be written.
     * @throws IllegalStateException when formatting fails or the broker does not answer within 60 s.
     */
    public static KafkaProcess start(final Path dir, final boolean detached) throws IOException
    {
        final KafkaProcess kafka = new KafkaProcess(dir, detached);
        if (Files.exists(dir.resolve("data").resolve("meta.properties")))
        {
            // formatted before (a stack started again): same cluster, same data, the listeners on new ports
            kafka.start();
            return kafka;
        }
        kafka.run(List.of("kafka.tools.StorageTool", "format", "--standalone", "-t", Uuid.randomUuid().toString(),
            "-c", kafka.properties.toString()), "format", true);
        kafka.start();
        return kafka;
    }

    /** @return {@code 127.0.0.1:port}, the bootstrap servers. */
    public String bootstrap()
    {
        return "127.0.0.1:" + port;
    }

    /** @return the client port. */
    public int port()
    {
        return port;
    }

    /** @return the broker JVM's pid. */
    public long pid()
    {
        return process.pid();
    }

    /** @return the folder of its configuration, data and {@code broker.log}. */
    public Path dir()
    {
        return dir;
    }

    /**
     * Starts the broker (again, after {@link #kill()}) on the same ports and data, and waits until it answers.
     *
     * @throws IOException          when the child cannot be started.
     * @throws IllegalStateException when it exits or does not answer within 60 s.
     */
    public void start() throws IOException
    {
        if (process != null && process.isAlive())
        {
            throw new IllegalStateException("Kafka is running already (pid " + process.pid() + ")");
        }
        process = run(List.of("kafka.Kafka", properties.toString()), "broker", false);
        final Path log = dir.resolve("broker.log");
        Poll.until(() ->
        {
            if (!process.isAlive())
            {
                throw new ChildExitedException("Kafka exited with " + process.exitValue() + " (log: " + log + ")");
            }
            return answers();
        }, START_TIMEOUT, Duration.ofMillis(100), "Kafka to answer on " + bootstrap() + " (log: " + log + ")");
    }

    private boolean answers()
    {
        try (Admin admin = admin(2000))
        {
            admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
            return true;
        }
        catch (final Exception notYet)
        {
            return false;
        }
    }

    private Admin admin(final int requestTimeoutMs)
    {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, requestTimeoutMs,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, requestTimeoutMs + 1000));
    }

    /**
     * Creates a topic (as a deployment would before pointing ivbot at it); one that exists already is left as it is.
     *
     * @param name       the topic.
     * @param partitions its partitions.
     * @throws Exception when the broker refuses or does not answer within 30 s.
     */
    public void createTopic(final String name, final int partitions) throws Exception
    {
        try (Admin admin = admin(30_000))
        {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short)1))).all().get(30, TimeUnit.SECONDS);
        }
        catch (final ExecutionException ex)
        {
            if (!(ex.getCause() instanceof TopicExistsException))
            {
                throw ex;
            }
        }
    }

    /**
     * Stops the broker at once with SIGKILL (no clean shutdown), and waits for it to be gone.
     *
     * @throws InterruptedException when interrupted while waiting.
     */
    public void kill() throws InterruptedException
    {
        if (process != null)
        {
            process.destroyForcibly().waitFor();
        }
    }

    private Process run(final List<String> mainAndArgs, final String name, final boolean waitFor) throws IOException
    {
        final Path log = dir.resolve(name + ".log");
        final Process p = new ProcessBuilder(javaCommand(mainAndArgs)).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (waitFor)
        {
            try
            {
                if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
                {
                    p.destroyForcibly();
                    throw new IllegalStateException(name + " failed: " + Files.readString(log));
                }
            }
            catch (final InterruptedException ex)
            {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException(name + " interrupted", ex);
            }
        }
        return p;
    }

    private List<String> javaCommand(final List<String> mainAndArgs)
    {
        final List<String> command = new ArrayList<>();
        if (detached)
        {
            command.addAll(Sessions.setsid());
        }
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
            "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path")));
        command.addAll(mainAndArgs);
        return command;
    }

    /** Kills the broker (SIGKILL): its data stays in its folder. */
    @Override
    public void close() throws InterruptedException
    {
        kill();
    }
}
