package ivbot.server.intent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ivbot.inference.batch.InferenceRequest;
import ivbot.inference.model.ModelRepository;
import ivbot.inference.rules.RuleClassifier;
import ivbot.server.TestServer;
import ivbot.server.metrics.MetricsSnapshot;
import ivbot.server.metrics.ReplySource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The served model path over a real socket: model answers, the cache, the deadline fallback, and a model
 * swap under load.
 */
@Timeout(180)
public class ModelChatTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private ModelRuntime runtime;
    private TestServer server;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void stop()
    {
        if (server != null)
        {
            server.close();
        }
        if (runtime != null)
        {
            runtime.close();
        }
    }

    /**
     * Copies the shipped package as {@code version}, set to let the model answer every query.
     */
    /**
     * @param repository a model repository.
     * @return settings for a CPU runtime on it with one ONNX Runtime thread and no polling.
     */
    public static ModelRuntime.Settings settings(final Path repository)
    {
        final ModelRuntime.Settings settings = new ModelRuntime.Settings();
        settings.repository = repository;
        settings.gateData = TestServer.repoRoot().resolve("models/data/dev.tsv");
        settings.catalog = TestServer.repoRoot().resolve("models/catalog.json");
        settings.device = "cpu";
        settings.intraOpThreads = 1;
        settings.pollMs = 0;
        return settings;
    }

    static void install(final Path repository, final String version) throws IOException
    {
        install(repository, version, 0.0);
    }

    /**
     * Copies the shipped package as {@code version} with the model's confidence threshold set to
     * {@code threshold} and rules-first off.
     */
    static void install(final Path repository, final String version, final double threshold) throws IOException
    {
        install(repository, version, threshold, shippedPackage());
    }

    /**
     * @return the newest package under {@code models/repository/intent}: the one {@code serve} loads.
     */
    static Path shippedPackage() throws IOException
    {
        try (Stream<Path> versions = Files.list(TestServer.repoRoot().resolve("models/repository/intent")))
        {
            return versions.filter(p -> !p.getFileName().toString().startsWith(".")).max(Path::compareTo).orElseThrow();
        }
    }

    /**
     * Copies the package {@code from} into {@code repository} as {@code version}, unchanged: into a hidden staging
     * folder first, then moved into place, as a release would.
     */
    static void copyPackage(final Path from, final Path repository, final String version) throws IOException
    {
        Files.move(stage(from, repository, version), repository.resolve(version));
    }

    private static Path stage(final Path from, final Path repository, final String version) throws IOException
    {
        final Path staging = repository.resolve("." + version);
        Files.createDirectories(staging);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.copy(file, staging.resolve(file.getFileName()));
            }
        }
        return staging;
    }

    /**
     * Copies the package {@code shipped} as {@code version} with the model's confidence threshold set to
     * {@code threshold} and rules-first off.
     */
    static void install(final Path repository, final String version, final double threshold, final Path shipped)
        throws IOException
    {
        final Path staging = stage(shipped, repository, version);
        final ObjectNode manifest = (ObjectNode)JSON.readTree(staging.resolve("manifest.json").toFile());
        manifest.put("threshold", threshold).put("rules_threshold", 2.0);
        JSON.writeValue(staging.resolve("manifest.json").toFile(), manifest);
        Files.move(staging, repository.resolve(version));
    }

    private void start(final Path repository, final long deadlineMs) throws IOException
    {
        final ModelRuntime.Settings settings = new ModelRuntime.Settings();
        settings.repository = repository;
        settings.gateData = TestServer.repoRoot().resolve("models/data/dev.tsv");
        settings.catalog = TestServer.repoRoot().resolve("models/catalog.json");
        settings.device = "cpu";
        settings.intraOpThreads = 1;
        settings.maxBatchSize = 16;
        settings.maxBatchDelayUs = 1000;
        settings.pollMs = 0;
        final IntentClassifier[] classifier = new IntentClassifier[1];
        runtime = ModelRuntime.start(settings, () ->
        {
            if (classifier[0] != null)
            {
                classifier[0].clearCache();
            }
        });
        classifier[0] = new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()), runtime.agent(), 1000, deadlineMs, 0.9f);
        server = TestServer.start(classifier[0]);
    }

    private JsonNode chat(final String token, final String body) throws IOException, InterruptedException
    {
        return server.chat(client, token, body);
    }

    @Test
    void shouldAnswerFromTheModelThenFromTheCache(@TempDir final Path repository) throws Exception
    {
        install(repository, "20260101-1");
        start(repository, 5000);
        final String token = TestServer.token("model-user");
        final JsonNode first = chat(token, "{\"query\":\"公积金比例多少\"}");
        assertEquals("model", first.path("source").asText());
        assertEquals("social_insurance", first.path("intent").asText());
        assertEquals("20260101-1", first.path("model_version").asText());
        assertTrue(first.path("fallback_reason").isMissingNode(), first.toString());
        final JsonNode second = chat(token, "{\"query\":\"公积金比例多少\"}");
        assertEquals("cache", second.path("source").asText());
        assertEquals("social_insurance", second.path("intent").asText());
        // a hit skips the rule engine: the audience the query names comes from the cache entry
        final JsonNode named = chat(token, "{\"query\":\"实习生公积金比例多少\"}");
        assertEquals("model", named.path("source").asText());
        assertEquals("intern", named.path("audience").asText());
        final JsonNode namedAgain = chat(token, "{\"query\":\"实习生公积金比例多少\"}");
        assertEquals("cache", namedAgain.path("source").asText());
        assertEquals("intern", namedAgain.path("audience").asText());
        assertEquals("social_insurance", namedAgain.path("intent").asText());
        assertEquals(named.path("answer").asText(), namedAgain.path("answer").asText());
    }

    @Test
    void shouldCountACacheHitOnlyWhenTheReplyComesFromTheCache(@TempDir final Path repository) throws Exception
    {
        // no prediction reaches the threshold: the cached prediction is found, but the rules answer
        install(repository, "20260101-1", 1.01);
        start(repository, 5000);
        final String token = TestServer.token("cache-user");
        assertEquals("rules", chat(token, "{\"query\":\"公积金比例多少\"}").path("source").asText());
        assertEquals("rules", chat(token, "{\"query\":\"公积金比例多少\"}").path("source").asText());
        final MetricsSnapshot s = server.reporter().roll();
        assertEquals(2, s.cacheLookupsTotal());
        assertEquals(0, s.cacheHitsTotal(), "the operator's hit rate agrees with requests_total{source=\"cache\"}");
        assertEquals(0L, s.requests().get(ReplySource.CACHE));
    }

    @Test
    void shouldFallBackToRulesWhenTheDeadlinePasses(@TempDir final Path repository) throws Exception
    {
        install(repository, "20260101-1");
        start(repository, 150);
        chat(TestServer.token("late-user"), "{\"query\":\"你好\"}"); // warm the request path up
        // wedge the inference thread: the result of this request is delivered through an executor that
        // blocks until released, so the agent cannot run the next batch in time
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch wedged = new CountDownLatch(1);
        runtime.agent().offer(new InferenceRequest("年假", System.nanoTime(), System.nanoTime() + 60_000_000_000L, task ->
        {
            wedged.countDown();
            try
            {
                release.await(30, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, r -> { }));
        assertTrue(wedged.await(30, TimeUnit.SECONDS));
        try
        {
            final long start = System.nanoTime();
            final JsonNode reply = chat(TestServer.token("late-user"), "{\"query\":\"三方协议什么时候签\"}");
            final long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals("rules", reply.path("source").asText());
            assertEquals("deadline", reply.path("fallback_reason").asText());
            assertEquals("contract", reply.path("intent").asText(), "the rules still answer the question");
            assertTrue(tookMs < 2000, "answered soon after the 150 ms deadline, took " + tookMs + " ms");
        }
        finally
        {
            release.countDown();
        }
        final JsonNode after = chat(TestServer.token("late-user"), "{\"query\":\"婚假几天\"}");
        assertEquals("model", after.path("source").asText(), "the model answers again once the thread is free");
    }

    @Test
    void shouldSwapModelsUnderLoadWithoutAFailedRequest(@TempDir final Path repository) throws Exception
    {
        install(repository, "20260101-1");
        start(repository, 10_000);
        final String token = TestServer.token("swap-user");
        final String[] queries = {"年假几天", "病假工资怎么算", "婚假几天", "产假有多少天", "几点上班", "可以居家办公吗",
            "工资几号发", "公积金比例多少", "有饭补吗", "试用期多久", "三方什么时候签", "能落户吗"};
        final Set<String> versions = ConcurrentHashMap.newKeySet();
        final AtomicInteger failures = new AtomicInteger();
        final AtomicInteger answered = new AtomicInteger();
        final AtomicInteger afterSwap = new AtomicInteger();
        final CountDownLatch warm = new CountDownLatch(40);
        final java.util.concurrent.atomic.AtomicBoolean swapped = new java.util.concurrent.atomic.AtomicBoolean();
        final Thread[] clients = new Thread[4];
        for (int c = 0; c < clients.length; c++)
        {
            final int id = c;
            clients[c] = new Thread(() ->
            {
                // bounded: at most 2000 requests each, and 30 each once the swap is done
                int sinceSwap = 0;
                for (int i = 0; i < 2000 && sinceSwap < 30; i++)
                {
                    final boolean swapDone = swapped.get();
                    try
                    {
                        // a distinct query each time so the cache never answers
                        final JsonNode reply = chat(token, "{\"query\":\"" + queries[(i + id) % queries.length] + " " + id + "-" + i + "\"}");
                        if (!"model".equals(reply.path("source").asText()))
                        {
                            failures.incrementAndGet();
                        }
                        versions.add(reply.path("model_version").asText());
                        answered.incrementAndGet();
                    }
                    catch (final Exception | AssertionError ex)
                    {
                        failures.incrementAndGet();
                    }
                    warm.countDown();
                    if (swapDone)
                    {
                        sinceSwap++;
                        afterSwap.incrementAndGet();
                    }
                }
            });
            clients[c].start();
        }
        assertTrue(warm.await(120, TimeUnit.SECONDS));
        install(repository, "20260101-2");
        assertEquals(ModelRepository.Outcome.INSTALLED, runtime.repository().check());
        swapped.set(true);
        for (final Thread t : clients)
        {
            t.join(120_000);
        }
        assertTrue(afterSwap.get() >= 120, "requests after the swap: " + afterSwap.get());
        assertEquals(0, failures.get(), "every one of " + answered.get() + " requests answered by a model, none failed");
        assertEquals(Set.of("20260101-1", "20260101-2"), versions);
        final JsonNode last = chat(token, "{\"query\":\"年假几天 final\"}");
        assertEquals("20260101-2", last.path("model_version").asText());
    }
}
