package ivbot.perf;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * {@code ivbot bench}: the load harness's command line. Runs one open-loop ({@code --rate}) or
 * closed-loop ({@code --concurrency}) load against a running server over HTTP or protobuf frames, or
 * searches the highest rate that meets a P99 target ({@code --find-max --p99 25ms}). Prints counts,
 * errors by kind, percentiles, fallback and cache-hit shares, and ends with one machine-readable line:
 *
 * <pre>
 * bench: rate=2000 achieved=1999.8 p50_ms=0.412 p90_ms=0.655 p99_ms=1.203 p999_ms=3.100 max_ms=8.200 errors=0
 *        fallback_share=0.0000 cache_hit_share=0.0000        (one line)
 * find-max: rate=R p99_ms=P steps=S rescued=N               (last line under --find-max; rescued: failing
 *                                                            runs that a retry overturned)
 * </pre>
 *
 * Exit status: 0 when at least one request succeeded (find-max: a rate passed), 1 otherwise or on a
 * run-time failure, 2 for a setting out of range. Defaults are those of {@link BenchConfig}.
 */
@Command(
    name = "ivbot bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Load the ivbot server open loop (--rate) or closed loop (--concurrency), or --find-max.")
public final class BenchMain implements Callable<Integer>
{
    /** How long the connections get to connect before a run. */
    static final long CONNECT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    /** The most warmup a find-max step after the first gets, to settle at its new rate. */
    static final long STEP_SETTLE_NS = TimeUnit.SECONDS.toNanos(1);
    /** Added to a signed token's validity beyond the planned run time. */
    static final long TOKEN_MARGIN_MS = TimeUnit.HOURS.toMillis(1);

    private static final BenchConfig DEFAULTS = new BenchConfig();

    @Option(names = "--url", description = "Server, http://host[:port] (default: ${DEFAULT-VALUE}).")
    String url = DEFAULTS.url;

    @Option(names = "--protocol", description = "http or proto (default: ${DEFAULT-VALUE}).")
    String protocol = "http";

    @Option(names = "--rate", description = "Open loop: requests per second over all connections.")
    double rate;

    @Option(names = "--concurrency", description = "Closed loop: outstanding requests over all connections.")
    int concurrency;

    @Option(names = "--connections", description = "TCP connections (default: ${DEFAULT-VALUE}).")
    int connections = DEFAULTS.connections;

    @Option(names = "--duration", description = "Measured time, e.g. 30s; per step under --find-max (default: ${DEFAULT-VALUE}).")
    String duration = Durations.format(DEFAULTS.durationNs);

    @Option(names = "--warmup", description = "Unmeasured time before it (default: ${DEFAULT-VALUE}).")
    String warmup = Durations.format(DEFAULTS.warmupNs);

    @Option(names = "--queries", defaultValue = "${sys:ivbot.home:-.}/models/data/dev.tsv",
        description = "TSV (text<TAB>intent<TAB>audience, column 1 used) or one query a line (default: ${DEFAULT-VALUE}).")
    Path queries;

    @Option(names = "--zipf", description = "Zipf exponent over the file order; 0 = uniform (default: ${DEFAULT-VALUE}).")
    double zipf = DEFAULTS.zipfExponent;

    @Option(names = "--users", description = "Logical users with their own sessions (default: ${DEFAULT-VALUE}).")
    int users = DEFAULTS.users;

    @Option(names = "--turns-per-session", description = "A user starts a new session every N turns; 0 = never (default: ${DEFAULT-VALUE}).")
    int turnsPerSession = DEFAULTS.turnsPerSession;

    @Option(names = "--token", description = "Bearer token; default: HS256 sub=bench signed with IVBOT_JWT_SECRET or the dev secret.")
    String token;

    @Option(names = "--dev-secret-file", description = "Dev secret file (default: $IVBOT_STATE_DIR/dev-jwt-secret, else ~/.ivbot/dev-jwt-secret).")
    Path devSecretFile;

    @Option(names = "--hgrm", description = "Write the latency percentile distribution (ms) here.")
    Path hgrm;

    @Option(names = "--find-max", description = "Search the highest rate meeting --p99 (open-loop steps of --duration).")
    boolean findMax;

    @Option(names = "--p99", description = "Find-max P99 target (default: ${DEFAULT-VALUE}).")
    String p99 = Durations.format(DEFAULTS.p99TargetNs);

    @Option(names = "--min-rate", description = "Find-max first rate (default: ${DEFAULT-VALUE}).")
    double minRate = DEFAULTS.minRate;

    @Option(names = "--max-rate", description = "Find-max highest rate (default: ${DEFAULT-VALUE}).")
    double maxRate = DEFAULTS.maxRate;

    @Option(names = "--max-steps", description = "Find-max most steps (default: ${DEFAULT-VALUE}).")
    int maxSteps = DEFAULTS.maxSteps;

    @Option(names = "--retries", description = "Find-max: run a failing step again up to N times; it passes if any run passes, fails only if all fail (default: ${DEFAULT-VALUE}).")
    int retries = DEFAULTS.retries;

    @Option(names = "--path", description = "HTTP chat path (default: ${DEFAULT-VALUE}).")
    String path = DEFAULTS.path;

    @Option(names = "--seed", description = "Seed of the query draws (default: ${DEFAULT-VALUE}).")
    long seed = DEFAULTS.seed;

    @Option(names = "--unique", description = "Append \" #<n>\" (unique per request) to every query: no cache can answer.")
    boolean unique;

    @Option(names = "--raw", description = "HTTP: count any 200 reply as a success without reading its body (non-ivbot servers).")
    boolean raw;

    @Option(names = "--max-in-flight", description = "Pipelined requests per connection (default: ${DEFAULT-VALUE}).")
    int maxInFlight = DEFAULTS.maxInFlight;

    @Option(names = "--io-threads", description = "Client event loops; 0 = min(connections, cores) (default: ${DEFAULT-VALUE}).")
    int ioThreads = DEFAULTS.ioThreads;

    @Option(names = "--timeout", description = "A reply later than this after its intended time is a timeout (default: ${DEFAULT-VALUE}).")
    String timeout = Durations.format(DEFAULTS.timeoutNs);

    private final PrintStream out;
    private final PrintStream err;
    private final UnaryOperator<String> env;

    /**
     * @param out receives the report.
     * @param err receives errors.
     * @param env reads environment variables ({@code System::getenv} outside tests).
     */
    BenchMain(final PrintStream out, final PrintStream err, final UnaryOperator<String> env)
    {
        this.out = out;
        this.err = err;
        this.env = env;
    }

    /**
     * @param args the command line after {@code bench}.
     */
    public static void main(final String[] args)
    {
        System.exit(execute(args, System.out, System.err, System::getenv));
    }

    /**
     * Parses and runs one command line.
     *
     * @param args the arguments.
     * @param out  receives the report.
     * @param err  receives errors.
     * @param env  reads environment variables.
     * @return the exit status.
     */
    static int execute(final String[] args, final PrintStream out, final PrintStream err, final UnaryOperator<String> env)
    {
        final CommandLine commandLine = new CommandLine(new BenchMain(out, err, env))
            .setOut(new PrintWriter(out, true, StandardCharsets.UTF_8))
            .setErr(new PrintWriter(err, true, StandardCharsets.UTF_8))
            .setExecutionExceptionHandler((ex, cmd, parsed) ->
            {
                err.println("ivbot bench: " + ex.getMessage());
                return 1;
            });
        return commandLine.execute(args);
    }

    @Override
    public Integer call() throws Exception
    {
        final BenchConfig config;
        try
        {
            config = toConfig().conclude();
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("ivbot bench: " + ex.getMessage());
            return 2;
        }
        final List<String> texts = QueryFile.load(queries);
        final String bearer = BenchTokens.resolve(token, devSecretFile, env, tokenValidityMs(config),
            System.currentTimeMillis());
        out.println("ivbot bench: " + config.describe() + " queries=" + texts.size() + " (" + queries + ")");
        try (LoadClient client = new LoadClient(config, texts, bearer))
        {
            client.open(CONNECT_TIMEOUT_NS);
            return config.findMax ? findMax(client, config) : runOnce(client, config);
        }
    }

    private int runOnce(final LoadClient client, final BenchConfig config) throws Exception
    {
        final BenchResult result = config.rate > 0
            ? LoadRun.openLoop(client, config.rate, config.warmupNs, config.durationNs)
            : LoadRun.closedLoop(client, config.concurrency, config.warmupNs, config.durationNs);
        finish(result);
        return result.ok() > 0 ? 0 : 1;
    }

    private int findMax(final LoadClient client, final BenchConfig config) throws Exception
    {
        final MaxRateSearch search = new MaxRateSearch(config.p99TargetNs, config.minRate, config.maxRate,
            config.maxSteps, config.retries, out);
        out.printf(Locale.ROOT, "find-max: target p99<=%s, errors<%.0f%%, achieved>=%.0f%% of asked;"
                + " up to %d steps of %s from %s/s, %d retries of a failing step%n", Durations.format(config.p99TargetNs),
            MaxRateSearch.MAX_ERROR_SHARE * 100, MaxRateSearch.MIN_ACHIEVED_SHARE * 100, config.maxSteps,
            Durations.format(config.durationNs), BenchConfig.fmt(config.minRate), config.retries);
        final MaxRateSearch.Outcome outcome = search.search((stepRate, step) -> LoadRun.openLoop(client, stepRate,
            step == 1 ? config.warmupNs : Math.min(config.warmupNs, STEP_SETTLE_NS), config.durationNs));
        if (outcome.result() == null)
        {
            out.println("find-max: no rate met the target");
            out.printf(Locale.ROOT, "find-max: rate=0 p99_ms=NaN steps=%d rescued=%d%n", outcome.steps(), outcome.rescued());
            return 1;
        }
        out.println("find-max: best step:");
        finish(outcome.result());
        out.printf(Locale.ROOT, "find-max: rate=%s p99_ms=%.3f steps=%d rescued=%d%n", BenchConfig.fmt(outcome.rate()),
            outcome.result().latencyMs(99.0), outcome.steps(), outcome.rescued());
        return 0;
    }

    private void finish(final BenchResult result) throws Exception
    {
        result.print(out);
        if (hgrm != null)
        {
            result.writeHgrm(hgrm);
            out.println("hgrm: " + hgrm);
        }
        out.println(result.machineLine());
        out.flush();
    }

    private BenchConfig toConfig()
    {
        final BenchConfig config = new BenchConfig();
        config.url = url;
        switch (protocol.toLowerCase(Locale.ROOT))
        {
            case "http":
                config.protocol = BenchConfig.Protocol.HTTP;
                break;
            case "proto":
            case "protobuf":
                config.protocol = BenchConfig.Protocol.PROTO;
                break;
            default:
                throw new IllegalArgumentException("--protocol=" + protocol + " (expected: http or proto)");
        }
        config.rate = rate;
        config.concurrency = concurrency;
        config.connections = connections;
        config.durationNs = Durations.parseNs("--duration", duration);
        config.warmupNs = Durations.parseNs("--warmup", warmup);
        config.zipfExponent = zipf;
        config.users = users;
        config.turnsPerSession = turnsPerSession;
        config.maxInFlight = maxInFlight;
        config.ioThreads = ioThreads;
        config.timeoutNs = Durations.parseNs("--timeout", timeout);
        config.path = path;
        config.seed = seed;
        config.findMax = findMax;
        config.p99TargetNs = Durations.parseNs("--p99", p99);
        config.minRate = minRate;
        config.maxRate = maxRate;
        config.maxSteps = maxSteps;
        config.retries = retries;
        config.unique = unique;
        config.raw = raw;
        return config;
    }

    private static long tokenValidityMs(final BenchConfig config)
    {
        final long runNs = config.warmupNs + config.durationNs + config.timeoutNs;
        return TOKEN_MARGIN_MS + TimeUnit.NANOSECONDS.toMillis(runNs) * (config.findMax ? config.maxSteps + config.retries : 1);
    }
}
