package ivbot.perf.jmh;

import ai.onnxruntime.OrtException;
import ivbot.inference.IntentCatalog;
import ivbot.inference.TextNormalizer;
import ivbot.inference.model.IntentModel;
import ivbot.inference.model.ModelPackage;
import ivbot.inference.model.Prediction;
import ivbot.perf.QueryFile;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Raw ONNX Runtime throughput of the intent model in-process: one thread calls
 * {@link IntentModel#predict} on batches of {@code batchSize} dev-set queries, the way the inference agent
 * does, with nothing else on the machine's cores (no server, no client). The auxiliary counter
 * {@code queries} is the figure that matters, in queries per second ({@code batches/s x batchSize}); the
 * primary score is batches per second.
 * <p>
 * The model is the newest version under {@code <ivbot.home>/models/repository/intent} (the package's
 * encoder decides the precision; the shipped package is int8, {@code bge-small-zh-v1.5-q}). With
 * {@code suffix=true} every query gets a {@code " #<n>"} suffix as under {@code ivbot bench --unique}, so
 * the token lengths match those of the served-model run it is compared with.
 * <p>
 * The auxiliary counters {@code cpuNs} and {@code cpuQueries} (summed over the measured iterations) give the
 * benchmark thread's own CPU time per query, {@code cpuNs / cpuQueries}: on a machine shared with other work,
 * {@code 1 / queries per second} is wall time and grows with someone else's load, CPU time does not. It is
 * the whole cost of a query only with {@code intraOpThreads=1}, where ONNX Runtime runs on the calling thread.
 * <p>
 * Run from {@code perf/run-benchmarks.sh} or by hand:
 * <pre>
 * java -Divbot.home=. -cp "perf/target/ivbot-perf-*.jar:perf/target/lib/*:server/target/lib/*" \
 *     org.openjdk.jmh.Main IntentModelBenchmark -p batchSize=1,8,16,32
 * </pre>
 * Not part of the test run (the classes live in {@code src/main}; surefire never sees them).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xss4m"})
@Threads(1)
@State(Scope.Thread)
public class IntentModelBenchmark
{
    /** Queries per {@link IntentModel#predict} call. */
    @Param({"1", "8", "16", "32"})
    public int batchSize;

    /** ONNX Runtime intra-op threads; 0 = the machine's cores. */
    @Param({"0"})
    public int intraOpThreads;

    /** Append {@code " #<n>"} to every query, as {@code ivbot bench --unique} does. */
    @Param({"true"})
    public boolean suffix;

    /** The query file (column 1 of a TSV, or one query a line); empty = {@code models/data/dev.tsv}. */
    @Param({""})
    public String queries;

    /** The package version under {@code models/repository/intent}; empty = the newest. */
    @Param({""})
    public String version;

    private static final ThreadMXBean THREAD_CLOCK = ManagementFactory.getThreadMXBean();

    private IntentModel model;
    private List<List<String>> batches;
    private Prediction[] out;
    private int next;

    /**
     * Counts the queries classified per iteration, reported by JMH as a rate next to the primary score.
     */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class QueryCounter
    {
        /** Queries classified; JMH divides by the iteration time. */
        public long queries;

        /** Zeroes the counter before each iteration. */
        @Setup(Level.Iteration)
        public void reset()
        {
            queries = 0;
        }
    }

    /**
     * The benchmark thread's CPU time and the queries it was spent on, summed over the measured iterations
     * (JMH sums {@code EVENTS} counters): {@code cpuNs / cpuQueries} is the CPU per query, ns.
     */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class CpuCounter
    {
        /** CPU time of the benchmark thread inside {@link IntentModel#predict}, ns. */
        public long cpuNs;
        /** Queries classified in that time. */
        public long cpuQueries;

        /** Zeroes the counters before each iteration. */
        @Setup(Level.Iteration)
        public void reset()
        {
            cpuNs = 0;
            cpuQueries = 0;
        }
    }

    /**
     * Loads the model and cuts the queries into batches (every query in exactly one batch, cycled).
     *
     * @throws IOException when the model or the queries cannot be read.
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        final Path home = Path.of(System.getProperty("ivbot.home", "."));
        final int threads = intraOpThreads > 0 ? intraOpThreads : Runtime.getRuntime().availableProcessors();
        final Path repository = home.resolve("models/repository/intent");
        model = ModelPackage.load(version.isEmpty() ? newestVersion(repository) : repository.resolve(version),
            IntentCatalog.load(home.resolve("models/catalog.json")), "cpu", threads, batchSize);
        final List<String> texts = QueryFile.load(queries.isEmpty() ? home.resolve("models/data/dev.tsv") : Path.of(queries));
        // as many batches as queries, so every query starts a batch once and batches differ in their padding
        batches = new ArrayList<>(texts.size());
        long n = 0;
        for (int start = 0; start < texts.size(); start++)
        {
            final List<String> batch = new ArrayList<>(batchSize);
            for (int i = 0; i < batchSize; i++)
            {
                final String text = texts.get((start * batchSize + i) % texts.size());
                batch.add(TextNormalizer.normalize(suffix ? text + " #" + n++ : text));
            }
            batches.add(List.copyOf(batch));
        }
        out = new Prediction[batchSize];
    }

    /** Closes the ONNX session. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        model.close();
    }

    /**
     * One {@link IntentModel#predict} call.
     *
     * @param counter counts the queries.
     * @param cpu     adds the call's CPU time (two reads of the thread's CPU clock, well under 1 us each).
     * @return the last prediction, so the call cannot be eliminated.
     * @throws OrtException when ONNX Runtime fails.
     */
    @Benchmark
    public Prediction predict(final QueryCounter counter, final CpuCounter cpu) throws OrtException
    {
        final List<String> batch = batches.get(next);
        next = next + 1 == batches.size() ? 0 : next + 1;
        final long cpu0 = THREAD_CLOCK.getCurrentThreadCpuTime();
        model.predict(batch, out);
        cpu.cpuNs += THREAD_CLOCK.getCurrentThreadCpuTime() - cpu0;
        cpu.cpuQueries += batch.size();
        counter.queries += batch.size();
        return out[batch.size() - 1];
    }

    private static Path newestVersion(final Path repository) throws IOException
    {
        try (Stream<Path> versions = Files.list(repository))
        {
            return versions.filter(Files::isDirectory)
                .filter(dir -> !dir.getFileName().toString().startsWith("."))
                .max(Comparator.comparing(dir -> dir.getFileName().toString()))
                .orElseThrow(() -> new IOException("no model version under " + repository));
        }
    }
}
