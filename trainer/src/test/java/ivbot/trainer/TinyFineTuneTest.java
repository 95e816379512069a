package ivbot.trainer;

import ivbot.inference.Intent;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.model.IntentModel;
import ivbot.inference.model.ModelRepository;
import ivbot.inference.model.Prediction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tiny fine-tune (32 rows, 2 steps, max length 32) writes a package that the unchanged
 * {@link ModelRepository} loads, gates and installs, and that classifies; and DJL stays offline while doing
 * it.
 * <p>
 * What the offline check proves: this test class runs in its own JVM (surefire {@code reuseForks=false}),
 * and before DJL's engine loads it installs a recording {@link ProxySelector}. The JDK asks the default
 * proxy selector before every {@code java.net.Socket} connect ({@code socket://host:port}) and every
 * {@code URL} connection (http, https, ftp), which is how DJL downloads and calls home; so an empty record of
 * non-loopback hosts means no such connection was attempted. It cannot see native code opening sockets
 * (libtorch does not) nor NIO {@code SocketChannel}s (DJL does not use them). The cache check proves that the
 * libraries DJL loaded are byte-for-byte sized as the entries of the jars on the classpath, and nothing else
 * is in its cache.
 */
@Timeout(180)
class TinyFineTuneTest
{
    private static final List<URI> CONNECTIONS = Collections.synchronizedList(new ArrayList<>());
    private static final AtomicReference<Path> CACHE = new AtomicReference<>();

    @BeforeAll
    static void recordConnections() throws IOException
    {
        final ProxySelector previous = ProxySelector.getDefault();
        ProxySelector.setDefault(new ProxySelector()
        {
            @Override
            public List<Proxy> select(final URI uri)
            {
                CONNECTIONS.add(uri);
                return List.of(Proxy.NO_PROXY);
            }

            @Override
            public void connectFailed(final URI uri, final SocketAddress address, final IOException ex)
            {
                if (previous != null)
                {
                    previous.connectFailed(uri, address, ex);
                }
            }
        });
        final Path cache = Path.of("target/djl-cache").toAbsolutePath();
        Files.createDirectories(cache);
        CACHE.set(DjlEnvironment.configure(cache));
    }

    @Test
    void shouldWriteAPackageThatTheRepositoryInstallsWithoutTouchingTheNetwork(@TempDir final Path tmp) throws Exception
    {
        final Path repository = tmp.resolve("intent");
        final FineTuner.Settings settings = settings(repository.resolve("20990101-1"));
        final List<String> lines = new ArrayList<>();
        FineTuner.run(settings, lines::add);
        lines.forEach(System.out::println);
        assertTrue(lines.stream().anyMatch(l -> l.contains("examples/s") && l.contains("ETA")), "progress lines: " + lines);
        for (final String file : List.of("model.onnx", "labels.txt", "catalog.json", "tokenizer.json", "manifest.json",
            "metrics.json"))
        {
            assertTrue(Files.isRegularFile(repository.resolve("20990101-1").resolve(file)), file);
        }
        assertTrue(Files.readString(repository.resolve("20990101-1/manifest.json")).contains("\"precision\" : \"int8\""));
        // trained on questions and on dialog turns as (topic, turn) pairs, it says it reads the conversation
        assertTrue(Files.readString(repository.resolve("20990101-1/manifest.json")).contains("\"context\" : \"topic\""));
        assertTrue(lines.stream().anyMatch(l -> l.contains("(32 questions, 2404 dialog turns)")), "examples line: " + lines);

        final List<LabelledQuery> gate = Fixtures.read("dev.tsv").subList(0, 24);
        final AtomicReference<IntentModel> installed = new AtomicReference<>();
        final ModelRepository repo = new ModelRepository(repository, Fixtures.catalog(), gate, 0.01, "cpu", 1, 8, installed::set);
        assertEquals(ModelRepository.Outcome.INSTALLED, repo.check(), () -> "rejected: " + repo.lastRejection());
        try (IntentModel model = installed.get())
        {
            assertEquals("20990101-1", model.version());
            final Prediction[] out = new Prediction[8];
            assertTrue(model.readsContext());
            model.predict(Arrays.asList(null, "年假"), List.of("年假有几天", "那病假呢"), out);
            for (int i = 0; i < 2; i++)
            {
                assertNotNull(out[i].intent());
                assertTrue(out[i].confidence() > 0f && out[i].confidence() <= 1f, "confidence " + out[i].confidence());
            }
        }

        assertNoRemoteConnection();
        assertCacheHoldsOnlyTheJarsLibraries();
    }

    @Test
    void shouldRefuseAnExistingFolderBeforeTraining(@TempDir final Path tmp) throws Exception
    {
        final Path out = Files.createDirectories(tmp.resolve("20990101-1"));
        final long t0 = System.nanoTime();
        final IOException ex = assertThrows(IOException.class, () -> FineTuner.run(settings(out), line -> { }));
        assertTrue(ex.getMessage().contains("already exists"), ex.getMessage());
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "refusal took more than 2 s: it trained first?");
    }

    private static FineTuner.Settings settings(final Path out)
    {
        final FineTuner.Settings settings = new FineTuner.Settings();
        settings.trainData = Fixtures.repoRoot().resolve("models/data/train.tsv");
        settings.devData = Fixtures.repoRoot().resolve("models/data/dev.tsv");
        settings.catalog = Fixtures.repoRoot().resolve("models/catalog.json");
        settings.out = out;
        settings.limit = 32;
        settings.batchSize = 16;
        settings.maxSteps = 2;
        settings.maxLength = 32;
        settings.devLimit = 48;
        settings.dialogs = Fixtures.repoRoot().resolve("models/data/train_dialogs.jsonl");
        settings.devDialogs = null;
        return settings;
    }

    private static void assertNoRemoteConnection() throws UnknownHostException
    {
        assertEquals("true", System.getProperty("ai.djl.offline"));
        final List<URI> remote = new ArrayList<>();
        synchronized (CONNECTIONS)
        {
            for (final URI uri : CONNECTIONS)
            {
                final String host = uri.getHost();
                if (host != null && !InetAddress.getByName(host).isLoopbackAddress())
                {
                    remote.add(uri);
                }
            }
        }
        assertTrue(remote.isEmpty(), "connections attempted: " + remote);
    }

    private static void assertCacheHoldsOnlyTheJarsLibraries() throws IOException
    {
        final Map<String, Long> fromJars = new HashMap<>();
        jarEntries("pytorch/cpu/linux-x86_64/libtorch_cpu.so", "pytorch/cpu/linux-x86_64/", "", fromJars);
        jarEntries("jnilib/pytorch.properties", "jnilib/linux-x86_64/cpu/", "0.36.0-", fromJars);
        assertTrue(fromJars.containsKey("libtorch_cpu.so") && fromJars.containsKey("0.36.0-libdjl_torch.so"), fromJars.toString());
        final List<Path> files;
        try (Stream<Path> walk = Files.walk(CACHE.get()))
        {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertTrue(!files.isEmpty(), "nothing extracted into " + CACHE.get());
        for (final Path file : files)
        {
            final Long size = fromJars.get(file.getFileName().toString());
            assertTrue(size != null && size == Files.size(file), file + " (" + Files.size(file) + " bytes) is not a library from the jars "
                + fromJars);
        }
    }

    private static void jarEntries(final String probe, final String prefix, final String namePrefix, final Map<String, Long> sizes)
        throws IOException
    {
        final URL url = TinyFineTuneTest.class.getClassLoader().getResource(probe);
        assertNotNull(url, probe + " not on the classpath");
        final String jar = url.getPath().substring("file:".length(), url.getPath().indexOf("!/"));
        try (JarFile file = new JarFile(jar))
        {
            for (final JarEntry entry : Collections.list(file.entries()))
            {
                if (!entry.isDirectory() && entry.getName().startsWith(prefix) && entry.getName().indexOf('/', prefix.length()) < 0)
                {
                    sizes.put(namePrefix + entry.getName().substring(prefix.length()), entry.getSize());
                }
            }
        }
    }
}
