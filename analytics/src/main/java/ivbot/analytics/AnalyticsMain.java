package ivbot.analytics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ivbot.localstack.ClickHouseHttp;
import ivbot.localstack.ClickHouseProcess;
import ivbot.localstack.KafkaProcess;
import ivbot.localstack.Poll;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./ivbot analytics up|down|status}: the local analytics stack for a newcomer, in the background: Kafka
 * (KRaft, from the Maven artifact), Debian's clickhouse-server, the topic and tables, and the Flink job in its own
 * JVM. Its state file ({@code state.json}: pids, ports, URLs) and the services' data and logs live in
 * {@code --state} ({@code $IVBOT_STATE_DIR/analytics}, else {@code ~/.ivbot/analytics}); {@code up} after
 * {@code down} keeps the data (the job resumes from its checkpoint), new ports each time.
 * <pre>
 *   STATE/state.json      pids, ports, URLs of the running stack
 *   STATE/kafka/          broker configuration, data, broker.log
 *   STATE/clickhouse/     config.xml, users.xml, data/, log/
 *   STATE/checkpoints/    the job's checkpoints
 *   STATE/job.log         the job's output
 * </pre>
 */
@Command(name = "ivbot analytics", mixinStandardHelpOptions = true,
    description = "The local analytics stack: Kafka, ClickHouse and the Flink job that feeds it.",
    subcommands = {AnalyticsMain.Up.class, AnalyticsMain.Down.class, AnalyticsMain.Status.class})
public final class AnalyticsMain
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "turns";

    private AnalyticsMain()
    {
    }

    /**
     * @param args {@code up|down|status [--state DIR]}.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(AnalyticsMain.class).execute(args));
    }

    static Path defaultState()
    {
        final String dir = System.getenv("IVBOT_STATE_DIR");
        return dir != null && !dir.isEmpty() ? Path.of(dir, "analytics") :
            Path.of(System.getProperty("user.home"), ".ivbot", "analytics");
    }

    /** The options every subcommand has. */
    abstract static class StateCommand implements Callable<Integer>
    {
        @Option(names = "--state", description = "the stack's folder (default: $IVBOT_STATE_DIR/analytics, else ~/.ivbot/analytics)")
        Path state;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        PrintWriter out;

        @Override
        public final Integer call() throws Exception
        {
            out = spec.commandLine().getOut();
            try
            {
                return run();
            }
            finally
            {
                out.flush();
            }
        }

        abstract int run() throws Exception;

        Path state()
        {
            return (state == null ? defaultState() : state).toAbsolutePath();
        }

        Optional<ObjectNode> read() throws IOException
        {
            final Path file = state().resolve("state.json");
            return Files.exists(file) ? Optional.of((ObjectNode)JSON.readTree(file.toFile())) : Optional.empty();
        }

        static boolean alive(final ObjectNode state, final String service)
        {
            final long pid = state.path(service).path("pid").asLong(-1);
            final long startedMs = state.path(service).path("started_ms").asLong(-1);
            // the pid and its start time: a pid the system gave to another process since is not ours
            return pid > 0 && ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .flatMap(h -> h.info().startInstant()).map(i -> Math.abs(i.toEpochMilli() - startedMs) < 2_000)
                .orElse(false);
        }

        void printUse(final ObjectNode s)
        {
            out.println("ClickHouse: " + s.path("clickhouse").path("url").asText() + "  (clickhouse-client --port " +
                s.path("clickhouse").path("tcp_port").asText() + "; tables ivbot.turns, ivbot.windows; query with FINAL)");
            out.println("Serve with: ./ivbot serve --events kafka://" + s.path("kafka").path("bootstrap").asText() + "/" +
                s.path("topic").asText());
        }
    }

    /** Starts the stack in the background. */
    @Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start Kafka, ClickHouse and the Flink job in the background; print the serve line.")
    static final class Up extends StateCommand
    {
        @Option(names = "--partitions", defaultValue = "4", description = "partitions of the topic (default: ${DEFAULT-VALUE})")
        int partitions;

        @Option(names = "--retention-days", defaultValue = "30", description = "(default: ${DEFAULT-VALUE})")
        int retentionDays;

        @Override
        int run() throws Exception
        {
            final Path dir = state();
            final Optional<ObjectNode> before = read();
            if (before.isPresent() && (alive(before.get(), "kafka") || alive(before.get(), "clickhouse") ||
                alive(before.get(), "job")))
            {
                out.println("ivbot analytics: already up (state " + dir.resolve("state.json") + "); './ivbot analytics down' first");
                printUse(before.get());
                return 1;
            }
            ClickHouseProcess.binary();
            Files.createDirectories(dir);
            final ObjectNode s = JSON.createObjectNode();
            s.put("topic", TOPIC).put("database", Schema.DEFAULT_DATABASE).put("state", dir.toString());
            final ClickHouseProcess clickHouse = ClickHouseProcess.start(dir.resolve("clickhouse"), true);
            s.putObject("clickhouse").put("pid", clickHouse.pid()).put("started_ms", started(clickHouse.pid()))
                .put("url", clickHouse.httpUrl()).put("http_port", clickHouse.httpPort())
                .put("tcp_port", clickHouse.tcpPort()).put("dir", clickHouse.dir().toString());
            write(s);
            Schema.create(clickHouse.http(), Schema.DEFAULT_DATABASE);
            out.println("ClickHouse up (pid " + clickHouse.pid() + ")");
            final KafkaProcess kafka = KafkaProcess.start(dir.resolve("kafka"), true);
            s.putObject("kafka").put("pid", kafka.pid()).put("started_ms", started(kafka.pid()))
                .put("bootstrap", kafka.bootstrap()).put("dir", kafka.dir().toString());
            write(s);
            kafka.createTopic(TOPIC, partitions);
            out.println("Kafka up (pid " + kafka.pid() + "), topic " + TOPIC + " (" + partitions + " partitions)");
            final Path checkpoints = dir.resolve("checkpoints");
            final JobProcess job = JobProcess.start(List.of("--kafka", kafka.bootstrap(), "--topic", TOPIC,
                "--clickhouse", clickHouse.httpUrl(), "--checkpoints", checkpoints.toString(),
                "--retention-days", Integer.toString(retentionDays)), dir.resolve("job.log"), true);
            s.putObject("job").put("pid", job.pid()).put("started_ms", started(job.pid()))
                .put("log", job.log().toString()).put("checkpoints", checkpoints.toString());
            write(s);
            final long before0 = Checkpoints.latest(checkpoints).map(AnalyticsMain::modified).orElse(0L);
            Poll.until(() ->
            {
                if (!job.isAlive())
                {
                    throw new ivbot.localstack.ChildExitedException("the Flink job exited (log: " + job.log() + ")");
                }
                return Checkpoints.latest(checkpoints).map(AnalyticsMain::modified).orElse(0L) > before0;
            }, Duration.ofSeconds(120), Duration.ofMillis(200), "the Flink job's first checkpoint (log: " + job.log() + ")");
            out.println("Flink job up (pid " + job.pid() + ", log " + job.log() + ")");
            out.println("State: " + dir.resolve("state.json"));
            printUse(s);
            return 0;
        }

        private void write(final ObjectNode s) throws IOException
        {
            final Path tmp = state().resolve("state.json.tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), s);
            Files.move(tmp, state().resolve("state.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }

        private static long started(final long pid)
        {
            return ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).map(i -> i.toEpochMilli()).orElse(-1L);
        }
    }

    /** Stops the stack: the job, then Kafka, then ClickHouse. */
    @Command(name = "down", mixinStandardHelpOptions = true, description = "Stop the Flink job, Kafka and ClickHouse (the data stays).")
    static final class Down extends StateCommand
    {
        @Override
        int run() throws Exception
        {
            final Optional<ObjectNode> s = read();
            if (s.isEmpty())
            {
                out.println("ivbot analytics: nothing to stop (no " + state().resolve("state.json") + ")");
                return 0;
            }
            for (final String service : List.of("job", "kafka", "clickhouse"))
            {
                if (alive(s.get(), service))
                {
                    final ProcessHandle h = ProcessHandle.of(s.get().path(service).path("pid").asLong()).orElseThrow();
                    h.destroy();
                    try
                    {
                        h.onExit().get(20, TimeUnit.SECONDS);
                    }
                    catch (final java.util.concurrent.TimeoutException ex)
                    {
                        h.destroyForcibly();
                        h.onExit().get(10, TimeUnit.SECONDS);
                    }
                    out.println(service + " stopped (pid " + h.pid() + ")");
                }
                else
                {
                    out.println(service + " was not running");
                }
            }
            return 0;
        }
    }

    /** What runs, and how many rows the tables hold. */
    @Command(name = "status", mixinStandardHelpOptions = true, description = "Say what runs and count the rows of ivbot.turns and ivbot.windows.")
    static final class Status extends StateCommand
    {
        @Override
        int run() throws Exception
        {
            final Optional<ObjectNode> read = read();
            if (read.isEmpty())
            {
                out.println("ivbot analytics: not up (no " + state().resolve("state.json") + "); start it with './ivbot analytics up'");
                return 1;
            }
            final ObjectNode s = read.get();
            boolean all = true;
            for (final String service : List.of("clickhouse", "kafka", "job"))
            {
                final boolean alive = alive(s, service);
                all &= alive;
                out.println(service + ": " + (alive ? "running" : "stopped") + " (pid " + s.path(service).path("pid").asText() + ")");
            }
            if (alive(s, "clickhouse"))
            {
                final ClickHouseHttp http = new ClickHouseHttp(s.path("clickhouse").path("url").asText(), Duration.ofSeconds(10));
                final String db = s.path("database").asText();
                out.println("ivbot.turns: " + http.queryLong("SELECT count() FROM " + db + ".turns FINAL") + " rows (FINAL)");
                out.println("ivbot.windows: " + http.queryLong("SELECT count() FROM " + db + ".windows FINAL") +
                    " rows (FINAL), " + http.queryLong("SELECT sum(turns) FROM " + db + ".windows FINAL") + " turns");
            }
            if (all)
            {
                printUse(s);
            }
            return all ? 0 : 1;
        }
    }

    private static long modified(final Path chk)
    {
        try
        {
            return Files.getLastModifiedTime(chk.resolve("_metadata")).toMillis();
        }
        catch (final IOException ex)
        {
            return 0;
        }
    }
}
