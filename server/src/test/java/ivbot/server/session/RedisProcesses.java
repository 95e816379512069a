package ivbot.server.session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Real redis-server, sentinel and cluster processes for one test, on free loopback ports, each in its own
 * folder under one temp dir, with no persistence ({@code --save "" --appendonly no}). {@link #close()}
 * kills every process it started (SIGKILL) and deletes the folder (kept, with the logs, when the environment
 * has {@code IVBOT_TEST_KEEP_REDIS}); a shutdown hook kills them if the JVM exits first. Never touches the shared Redis on 6379. Not thread-safe: one test thread.
 */
final class RedisProcesses implements AutoCloseable
{
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

    private final Path dir;
    private final List<Node> nodes = new ArrayList<>();
    private final Thread shutdownHook;

    RedisProcesses()
    {
        try
        {
            this.dir = Files.createTempDirectory("ivbot-redis-");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        this.shutdownHook = new Thread(this::killAll, "redis-processes-cleanup");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * One redis-server or sentinel process.
     */
    static final class Node
    {
        final int port;
        final Path dir;
        final List<String> command;
        Process process;

        Node(final int port, final Path dir, final List<String> command)
        {
            this.port = port;
            this.dir = dir;
            this.command = command;
        }

        /**
         * kill -9: the process gets no chance to close its connections cleanly.
         */
        void kill()
        {
            final Process p = process;
            if (p != null && p.isAlive())
            {
                p.destroyForcibly();
                try
                {
                    p.waitFor(5, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }

        String address()
        {
            return "127.0.0.1:" + port;
        }

        @Override
        public String toString()
        {
            return address();
        }
    }

    /**
     * @return a loopback port nothing listened on a moment ago.
     */
    static int freePort()
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Starts a redis-server on a free port and waits until it answers PING.
     */
    Node server(final String... extraArgs)
    {
        return server(freePort(), extraArgs);
    }

    /**
     * Starts a redis-server on {@code port} and waits until it answers PING.
     */
    Node server(final int port, final String... extraArgs)
    {
        final Path nodeDir = nodeDir("redis-" + port);
        final List<String> command = new ArrayList<>(List.of("redis-server",
            "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", nodeDir.toString(), "--logfile", nodeDir.resolve("redis.log").toString(), "--daemonize", "no"));
        command.addAll(List.of(extraArgs));
        return launch(new Node(port, nodeDir, command));
    }

    /**
     * Starts a replica of {@code master} and waits until the master sees it online.
     */
    Node replica(final Node master)
    {
        final Node replica = server("--replicaof", "127.0.0.1", Integer.toString(master.port));
        await(() -> "up".equals(Resp.info(replica.port, "replication").get("master_link_status")),
            START_TIMEOUT, "replica " + replica + " in sync with " + master);
        return replica;
    }

    /**
     * Starts a sentinel monitoring {@code master} under {@code name}.
     */
    Node sentinel(final String name, final Node master, final int quorum, final long downAfterMs)
    {
        final int port = freePort();
        final Path nodeDir = nodeDir("sentinel-" + port);
        final Path conf = nodeDir.resolve("sentinel.conf");
        final String text = String.join("\n",
            "port " + port,
            "bind 127.0.0.1",
            "daemonize no",
            "dir " + nodeDir,
            "logfile " + nodeDir.resolve("sentinel.log"),
            "sentinel monitor " + name + " 127.0.0.1 " + master.port + " " + quorum,
            "sentinel down-after-milliseconds " + name + " " + downAfterMs,
            "sentinel failover-timeout " + name + " 3000",
            "sentinel parallel-syncs " + name + " 1",
            "");
        try
        {
            Files.writeString(conf, text, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return launch(new Node(port, nodeDir, List.of("redis-server", conf.toString(), "--sentinel")));
    }

    /**
     * Waits until every sentinel knows the master, {@code replicas} replicas and the other sentinels, so a
     * failover can be authorised.
     */
    static void awaitSentinels(final List<Node> sentinels, final String name, final int replicas)
    {
        await(() -> sentinels.stream().allMatch(s ->
        {
            final List<?> known = (List<?>)Resp.call(s.port, "SENTINEL", "REPLICAS", name);
            final List<?> others = (List<?>)Resp.call(s.port, "SENTINEL", "SENTINELS", name);
            return known.size() == replicas && others.size() == sentinels.size() - 1;
        }), Duration.ofSeconds(20), "sentinels to discover each other and the replica");
    }

    /**
     * @return the port of the master that the sentinel on {@code sentinelPort} reports.
     */
    static int sentinelMasterPort(final int sentinelPort, final String name)
    {
        final List<?> address = (List<?>)Resp.call(sentinelPort, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", name);
        return Integer.parseInt((String)address.get(1));
    }

    /**
     * Starts {@code masters} cluster masters and as many replicas, joins them with
     * {@code redis-cli --cluster create --cluster-replicas 1} and waits until every node reports
     * {@code cluster_state:ok} and every replica is in sync.
     *
     * @return the six (for three masters) nodes; see {@link #clusterMasters} for the roles.
     */
    List<Node> cluster(final int masters, final long nodeTimeoutMs)
    {
        final List<Node> cluster = new ArrayList<>();
        for (int i = 0; i < 2 * masters; i++)
        {
            final int port = freePort();
            final Path nodeConf = nodeDir("redis-" + port).resolve("nodes.conf");
            cluster.add(server(port, "--cluster-enabled", "yes", "--cluster-config-file", nodeConf.toString(),
                "--cluster-node-timeout", Long.toString(nodeTimeoutMs)));
        }
        final List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        cluster.forEach(n -> create.add(n.address()));
        create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
        run(create, Duration.ofSeconds(60));
        await(() -> cluster.stream().allMatch(n ->
        {
            final String info = (String)Resp.call(n.port, "CLUSTER", "INFO");
            if (!info.contains("cluster_state:ok") || !info.contains("cluster_known_nodes:" + cluster.size()))
            {
                return false;
            }
            final Map<String, String> replication = Resp.info(n.port, "replication");
            return "master".equals(replication.get("role")) ? "1".equals(replication.get("connected_slaves")) :
                "up".equals(replication.get("master_link_status"));
        }), Duration.ofSeconds(30), "cluster ok with every replica in sync");
        return cluster;
    }

    /**
     * @return the nodes of {@code cluster} that are masters now.
     */
    static List<Node> clusterMasters(final List<Node> cluster)
    {
        return cluster.stream().filter(n -> "master".equals(Resp.info(n.port, "replication").get("role"))).toList();
    }

    private Path nodeDir(final String name)
    {
        try
        {
            return Files.createDirectories(dir.resolve(name));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private Node launch(final Node node)
    {
        try
        {
            node.process = new ProcessBuilder(node.command)
                .redirectErrorStream(true)
                .redirectOutput(node.dir.resolve("stdout.log").toFile())
                .start();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start " + node.command, ex);
        }
        nodes.add(node);
        await(() -> Resp.pings(node.port) || !node.process.isAlive(), START_TIMEOUT, node.command + " to answer PING");
        if (!node.process.isAlive())
        {
            throw new IllegalStateException(node.command + " exited with " + node.process.exitValue() + "; see " + node.dir);
        }
        return node;
    }

    private static void run(final List<String> command, final Duration timeout)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly();
                throw new IllegalStateException(command + " timed out");
            }
            if (process.exitValue() != 0)
            {
                throw new IllegalStateException(command + " failed: " + new String(output, StandardCharsets.UTF_8));
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Polls {@code condition} every 20 ms until it holds; a condition that throws counts as false.
     *
     * @throws AssertionError naming {@code what} when {@code timeout} passes first.
     */
    static void await(final BooleanSupplier condition, final Duration timeout, final String what)
    {
        ivbot.server.Await.until(condition, timeout, what);
    }

    private void killAll()
    {
        for (final Node node : nodes)
        {
            node.kill();
        }
    }

    @Override
    public void close()
    {
        killAll();
        try
        {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
        catch (final IllegalStateException ex)
        {
            // the JVM is already shutting down: the hook runs anyway
        }
        if (System.getenv("IVBOT_TEST_KEEP_REDIS") != null)
        {
            System.out.println("redis logs kept in " + dir);
            return;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        catch (final IOException ex)
        {
            // best effort: a temp dir
        }
    }
}
