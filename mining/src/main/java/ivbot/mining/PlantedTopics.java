package ivbot.mining;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ivbot.inference.IntentCatalog;
import ivbot.inference.TextNormalizer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The planted-topics experiment ({@code ivbot mine --planted}): trains a model without three policy intents, serves
 * it (a real {@code ivbot serve} on a free loopback port, events to files), sends the three intents' dev questions
 * mixed into the other intents' dev questions as ordinary chat turns over HTTP, stops the server, then mines the
 * event files with both methods and prints, per method, the share of the planted questions recovered, purity and
 * the adjusted Rand index against the true intents (over the mined questions with a dev label), the cluster count
 * and the time. With {@code --labelled TSV} it skips the server and mines a labelled TSV (for tuning on train rows).
 */
@Command(name = "mine --planted", mixinStandardHelpOptions = true,
    description = "Planted topics: train without 3 intents, serve, send their dev questions mixed into ordinary traffic, mine, score.")
public final class PlantedTopics implements Callable<Integer>
{
    @Option(names = "--intents", split = ",", defaultValue = "leave_marriage,hukou,remote_work",
        description = "The planted intents, policy intents of the catalog (default: ${DEFAULT-VALUE}).")
    List<String> planted;

    @Option(names = "--dev", defaultValue = "${sys:ivbot.home:-.}/models/data/dev.tsv", description = "Dev TSV whose questions are sent (default: ${DEFAULT-VALUE}).")
    Path dev;

    @Option(names = "--work", description = "Work folder (default: a new temporary folder).")
    Path work;

    @Option(names = "--labelled", description = "Mine this labelled TSV (query<TAB>label) instead of serving and sending.")
    Path labelled;

    @Option(names = "--methods", split = ",", defaultValue = "levenshtein,encoder,encoder-dbscan", description = "Methods to run (default: ${DEFAULT-VALUE}).")
    List<String> methods;

    @Mixin
    MiningOptions options;

    private final ObjectMapper mapper = new ObjectMapper();

    /**
     * @param args the command line.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new PlantedTopics()).execute(args));
    }

    @Override
    public Integer call() throws Exception
    {
        final Path home = Path.of(System.getProperty("ivbot.home", "."));
        final IntentCatalog full = IntentCatalog.load(options.catalog);
        for (final String id : planted)
        {
            if (full.fromId(id) == null || !full.fromId(id).isPolicy())
            {
                throw new IllegalArgumentException("--intents: '" + id + "' is not a policy intent of " + options.catalog);
            }
        }
        final Path dir = work != null ? Files.createDirectories(work) : Files.createTempDirectory("ivbot-planted-");
        final Set<String> plantedSet = new HashSet<>(planted);
        final Path catalog = dir.resolve("catalog.json");
        final Path train = dir.resolve("train.tsv");
        writeReducedCatalog(options.catalog, catalog, plantedSet);
        final Path rules = dir.resolve("intent-rules.txt");
        writeReducedRules(rules, plantedSet);
        filterTsv(options.trainData, train, plantedSet);
        final Map<String, String> truth = new HashMap<>();
        final String input;
        if (labelled != null)
        {
            input = labelled.toString();
        }
        else
        {
            final Path devReduced = dir.resolve("dev.tsv");
            filterTsv(dev, devReduced, plantedSet);
            final Path events = dir.resolve("events");
            final long sendStart = System.nanoTime();
            runExperimentTraffic(home, dir, catalog, rules, train, devReduced, events, truth);
            System.out.printf(Locale.ROOT, "trained, served and sent in %d s; events in %s%n",
                (System.nanoTime() - sendStart) / 1_000_000_000L, events);
            input = events.toString();
        }
        final IntentCatalog reduced = IntentCatalog.load(catalog);
        final SparkSession spark = SparkSessions.open(options.master, options.partitions);
        try
        {
            final IntentCentroids centroids = IntentCentroids.of(spark, reduced, train, options.encoder(), options.audience());
            final Dataset<Row> turns = TurnInput.read(spark, input, 7 * 86_400_000L, System.currentTimeMillis(), "ivbot.turns").cache();
            final int plantedSent = countPlanted(turns, plantedSet, truth);
            final Miner miner = new Miner(spark, options.filter(reduced), centroids, options.encoder(), options.audience());
            System.out.printf(Locale.ROOT, "%-15s %9s %7s %7s %12s %8s %9s %6s %8s%n", "method", "recovered", "purity", "ari",
                "ari_planted", "clusters", "clustered", "mined", "time_ms");
            for (final String m : methods)
            {
                final Miner.Result result = miner.mine(turns, MineMain.parseMethod(m), options.methods());
                final List<Question> scored = withTruth(result.questions(), truth);
                final ClusterScores scores = ClusterScores.of(scored, result.clustering().labels(), plantedSet, plantedSent);
                final int clustered = result.clusters().stream().mapToInt(c -> c.members().length).sum();
                // the same, over the planted questions only: how cleanly the new topics come apart from each other
                final List<Question> plantedOnly = scored.stream()
                    .map(q -> plantedSet.contains(q.label()) ? q : new Question(q.id(), q.text(), q.raw(), q.turns(), ""))
                    .toList();
                final double plantedAri = ClusterScores.of(plantedOnly, result.clustering().labels(), plantedSet, plantedSent).ari();
                System.out.printf(Locale.ROOT, "%-15s %9.3f %7.3f %7.3f %12.3f %8d %9d %6d %8d%n", m, scores.recovered(),
                    scores.purity(), scores.ari(), plantedAri, scores.clusters(), clustered, result.questions().size(), result.totalMs());
                final Path review = dir.resolve("review-" + m + ".tsv");
                ReviewFile.write(review, ReviewFile.trainPathFor(review), result);
            }
            System.out.println("planted intents " + planted + ": " + plantedSent + " distinct questions sent; reviews in " + dir);
            return 0;
        }
        finally
        {
            spark.stop();
        }
    }

    private int countPlanted(final Dataset<Row> turns, final Set<String> plantedSet, final Map<String, String> truth)
    {
        if (truth.isEmpty())
        {
            // a labelled TSV: its labels are the truth
            for (final Row r : turns.select("normalized_query", "label").collectAsList())
            {
                if (!r.getString(1).isEmpty())
                {
                    truth.put(r.getString(0), r.getString(1));
                }
            }
        }
        return (int)truth.values().stream().filter(plantedSet::contains).count();
    }

    private static List<Question> withTruth(final List<Question> questions, final Map<String, String> truth)
    {
        final List<Question> out = new ArrayList<>(questions.size());
        for (final Question q : questions)
        {
            out.add(new Question(q.id(), q.text(), q.raw(), q.turns(), truth.getOrDefault(q.text(), "")));
        }
        return out;
    }

    private void runExperimentTraffic(final Path home, final Path dir, final Path catalog, final Path rules, final Path train,
        final Path devReduced, final Path events, final Map<String, String> truth) throws IOException, InterruptedException
    {
        final Path ivbot = home.resolve("ivbot");
        final Path repository = dir.resolve("repository/intent");
        final String version = LocalDate.now(ZoneOffset.UTC).format(DateTimeFormatter.BASIC_ISO_DATE) + "-1";
        final Path pkg = repository.resolve(version);
        final Map<String, String> env = new HashMap<>();
        final byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        env.put("IVBOT_JWT_SECRET", HexFormat.of().formatHex(secret));
        env.put("IVBOT_STATE_DIR", dir.resolve("state").toString());
        if (!Files.exists(pkg))
        {
            run(dir, env, "train", List.of(ivbot.toString(), "train", "--catalog", catalog.toString(), "--rules", rules.toString(),
                "--data", train.toString(),
                "--dev", devReduced.toString(), "--out", pkg.toString()));
        }
        final String token = run(dir, env, "token", List.of(ivbot.toString(), "token", "--sub", "planted-topics", "--ttl", "2h")).strip();
        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            port = probe.getLocalPort();
        }
        final ProcessBuilder serve = new ProcessBuilder(ivbot.toString(), "serve", "--host", "127.0.0.1", "--port", Integer.toString(port),
            "--catalog", catalog.toString(), "--rules", rules.toString(), "--model-repository", repository.toString(), "--gate-data", devReduced.toString(),
            "--events", "files", "--events-dir", events.toString(), "--warmup-turns", "0", "--canary", "off",
            "--rate-per-user", "0", "--rate-per-address", "0", "--model-poll-ms", "0", "--kb-poll-ms", "0", "--device", "cpu",
            "--deadline-ms", "2000")
            .redirectErrorStream(true).redirectOutput(dir.resolve("serve.log").toFile());
        serve.environment().putAll(env);
        deleteTree(events);
        final Process server = serve.start();
        final Thread stopper = new Thread(server::destroy);
        Runtime.getRuntime().addShutdownHook(stopper);
        try
        {
            final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            awaitReady(http, port, server, dir.resolve("serve.log"));
            send(http, port, token, truth);
        }
        finally
        {
            server.destroy();
            if (!server.waitFor(30, TimeUnit.SECONDS))
            {
                server.destroyForcibly().waitFor();
            }
            Runtime.getRuntime().removeShutdownHook(stopper);
        }
    }

    /** Sends every dev question (the planted intents' too) once, in a fixed shuffled order, each in a new session. */
    private void send(final HttpClient http, final int port, final String token, final Map<String, String> truth)
        throws IOException, InterruptedException
    {
        final List<String[]> rows = new ArrayList<>();
        final List<String> lines = Files.readAllLines(dev, StandardCharsets.UTF_8);
        for (final String line : lines.subList(1, lines.size()))
        {
            final String[] cols = line.split("\t", -1);
            if (cols.length >= 2 && !cols[0].isBlank())
            {
                rows.add(cols);
                truth.putIfAbsent(TextNormalizer.normalize(cols[0]), cols[1].strip());
            }
        }
        Collections.shuffle(rows, new Random(7));
        int failed = 0;
        for (final String[] row : rows)
        {
            final String body = mapper.writeValueAsString(Map.of("query", row[0]));
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200)
            {
                failed++;
            }
        }
        System.out.printf(Locale.ROOT, "sent %d turns (%d failed)%n", rows.size(), failed);
        if (failed > 0)
        {
            throw new IOException(failed + " of " + rows.size() + " chat turns failed");
        }
    }

    private static void awaitReady(final HttpClient http, final int port, final Process server, final Path log)
        throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline)
        {
            if (!server.isAlive())
            {
                throw new IOException("ivbot serve exited with " + server.exitValue() + "; see " + log);
            }
            try
            {
                final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200)
                {
                    return;
                }
            }
            catch (final IOException notYet)
            {
                // the port is not open yet
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
        }
        throw new IOException("ivbot serve not ready on port " + port + " within 180 s; see " + log);
    }

    private static String run(final Path dir, final Map<String, String> env, final String name, final List<String> command)
        throws IOException, InterruptedException
    {
        final Path log = dir.resolve(name + ".log");
        final ProcessBuilder pb = new ProcessBuilder(command).redirectError(dir.resolve(name + ".err").toFile())
            .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        final Process p = pb.start();
        if (!p.waitFor(15, TimeUnit.MINUTES))
        {
            p.destroyForcibly().waitFor();
            throw new IOException(name + " did not finish in 15 minutes; see " + log);
        }
        if (p.exitValue() != 0)
        {
            throw new IOException(String.join(" ", command) + " exited with " + p.exitValue() + ": "
                + Files.readString(dir.resolve(name + ".err")));
        }
        return Files.readString(log);
    }

    static void writeReducedCatalog(final Path from, final Path to, final Set<String> drop) throws IOException
    {
        final ObjectMapper mapper = new ObjectMapper();
        final ObjectNode root = (ObjectNode)mapper.readTree(from.toFile());
        final ArrayNode kept = mapper.createArrayNode();
        for (final JsonNode intent : root.get("intents"))
        {
            if (!drop.contains(intent.path("id").asText()))
            {
                kept.add(intent);
            }
        }
        root.set("intents", kept);
        mapper.writerWithDefaultPrettyPrinter().writeValue(to.toFile(), root);
    }

    private static void deleteTree(final Path dir) throws IOException
    {
        if (Files.exists(dir))
        {
            try (var walk = Files.walk(dir))
            {
                for (final Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList())
                {
                    Files.delete(p);
                }
            }
        }
    }

    /** The built-in rules without the planted intents' sections: the rules must not know them either. */
    private static void writeReducedRules(final Path to, final Set<String> drop) throws IOException
    {
        final String resource = "/ivbot/inference/rules/intent-rules.txt";
        final List<String> kept = new ArrayList<>();
        try (var in = IntentCatalog.class.getResourceAsStream(resource))
        {
            if (in == null)
            {
                throw new IOException("classpath resource " + resource + " not found (is ivbot-inference on the classpath?)");
            }
            boolean skipping = false;
            for (final String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1))
            {
                if (line.startsWith("["))
                {
                    skipping = drop.contains(line.substring(1, line.indexOf(']')).strip());
                }
                if (!skipping)
                {
                    kept.add(line);
                }
            }
        }
        Files.write(to, kept, StandardCharsets.UTF_8);
    }

    static void filterTsv(final Path from, final Path to, final Set<String> drop) throws IOException
    {
        final List<String> lines = Files.readAllLines(from, StandardCharsets.UTF_8);
        final List<String> kept = new ArrayList<>(lines.size());
        kept.add(lines.get(0));
        for (final String line : lines.subList(1, lines.size()))
        {
            final String[] cols = line.split("\t", -1);
            if (cols.length < 2 || !drop.contains(cols[1].strip()))
            {
                kept.add(line);
            }
        }
        Files.write(to, kept, StandardCharsets.UTF_8);
    }
}
