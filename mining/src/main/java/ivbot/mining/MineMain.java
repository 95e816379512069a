package ivbot.mining;

import ivbot.inference.IntentCatalog;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ivbot mine --input <events folder | TSV | http://clickhouse:8123> [--since 1d] [--method encoder]}: mines the
 * turns the assistant did not understand into clusters for review (see {@link ReviewFile}). Runs Spark in this JVM
 * (local mode by default).
 */
@Command(name = "mine", mixinStandardHelpOptions = true,
    description = "Cluster the turns the assistant did not understand and write a review file of candidate new intents.")
public final class MineMain implements Callable<Integer>
{
    @Option(names = "--input", required = true, description = "A folder of turn-event files (*.jsonl), a TSV (query[<TAB>label]) or a ClickHouse HTTP URL (http://host:8123).")
    String input;

    @Option(names = "--since", defaultValue = "1d", description = "How far back to read events: 1d, 6h, 30m (default: ${DEFAULT-VALUE}).")
    String since;

    @Option(names = "--method", defaultValue = "encoder", description = "levenshtein (the baseline), encoder (average linkage) or encoder-dbscan (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--out", defaultValue = "review.tsv", description = "The review file; the labelled questions go beside it as <name>-train.tsv (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--clickhouse-table", defaultValue = "ivbot.turns", description = "The turns table of a ClickHouse input (default: ${DEFAULT-VALUE}).")
    String clickhouseTable;

    @Mixin
    MiningOptions options;

    /**
     * @param args the command line.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new MineMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception
    {
        final Miner.Method chosen = parseMethod(method);
        final long sinceMs = parseSince(since);
        if (!Files.isReadable(options.catalog))
        {
            throw new IllegalArgumentException("--catalog " + options.catalog + ": not readable");
        }
        final IntentCatalog catalog = IntentCatalog.load(options.catalog);
        final SparkSession spark = SparkSessions.open(options.master, options.partitions);
        try
        {
            final long startNs = System.nanoTime();
            final IntentCentroids centroids = IntentCentroids.of(spark, catalog, options.trainData, options.encoder(), options.audience());
            final Dataset<Row> turns = TurnInput.read(spark, input, sinceMs, System.currentTimeMillis(), clickhouseTable);
            final Miner.Result result = new Miner(spark, options.filter(catalog), centroids, options.encoder(), options.audience())
                .mine(turns, chosen, options.methods());
            final Path train = ReviewFile.trainPathFor(out);
            ReviewFile.write(out, train, result);
            System.out.printf(Locale.ROOT, "mine %s: %d turns, %d not understood (distinct), %d clusters, %d questions clustered;"
                    + " clustering %d ms (embedding %d ms), run %d ms, with centroids %d ms%n", chosen.name().toLowerCase(Locale.ROOT),
                result.turns(), result.questions().size(), result.clusters().size(),
                result.clusters().stream().mapToInt(c -> c.members().length).sum(), result.clusterMs(), result.embedMs(), result.totalMs(),
                (System.nanoTime() - startNs) / 1_000_000);
            System.out.println("review: " + out.toAbsolutePath() + "\nlabelled questions: " + train.toAbsolutePath());
            return 0;
        }
        finally
        {
            spark.stop();
        }
    }

    static Miner.Method parseMethod(final String method)
    {
        return switch (method)
        {
            case "levenshtein" -> Miner.Method.LEVENSHTEIN;
            case "encoder" -> Miner.Method.ENCODER;
            case "encoder-dbscan" -> Miner.Method.ENCODER_DBSCAN;
            default -> throw new IllegalArgumentException("--method=" + method + " (expected: levenshtein, encoder or encoder-dbscan)");
        };
    }

    /**
     * @param text {@code <n>d}, {@code <n>h}, {@code <n>m} or {@code <n>s}.
     * @return milliseconds.
     */
    static long parseSince(final String text)
    {
        if (text.matches("[1-9][0-9]*[dhms]"))
        {
            final long n = Long.parseLong(text.substring(0, text.length() - 1));
            return switch (text.charAt(text.length() - 1))
            {
                case 'd' -> n * 86_400_000L;
                case 'h' -> n * 3_600_000L;
                case 'm' -> n * 60_000L;
                default -> n * 1_000L;
            };
        }
        throw new IllegalArgumentException("--since=" + text + " (expected: e.g. 1d, 6h, 30m, 45s)");
    }
}
