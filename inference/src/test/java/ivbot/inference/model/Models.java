package ivbot.inference.model;

import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.eval.LabelledQuery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Test helpers: the repository's paths and its shipped model package.
 */
public final class Models
{
    private static IntentCatalog catalog;

    private Models()
    {
    }

    /**
     * @return the repository's catalog, {@code models/catalog.json}.
     */
    public static synchronized IntentCatalog catalog()
    {
        if (catalog == null)
        {
            try
            {
                catalog = IntentCatalog.load(repoRoot().resolve("models/catalog.json"));
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
        return catalog;
    }

    /**
     * @param id an intent id of the repository's catalog.
     * @return the intent.
     */
    public static Intent intent(final String id)
    {
        final Intent intent = catalog().fromId(id);
        if (intent == null)
        {
            throw new IllegalArgumentException("no intent '" + id + "' in models/catalog.json");
        }
        return intent;
    }

    public static Path repoRoot()
    {
        final String configured = System.getProperty("ivbot.repo.root");
        Path dir = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("models/repository/intent")))
        {
            dir = dir.getParent();
        }
        if (dir == null)
        {
            throw new IllegalStateException("repository root with models/repository/intent not found");
        }
        return dir;
    }

    /**
     * @return the newest shipped package.
     */
    public static Path shippedPackage()
    {
        try (Stream<Path> versions = Files.list(repoRoot().resolve("models/repository/intent")))
        {
            return versions.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith("."))
                .max(Path::compareTo).orElseThrow();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @return the frozen-encoder package (an ivbot package: head.bin on the int8 bge encoder), for tests of
     * the head format; the newest package may be an exported one (model.onnx) without a head.bin.
     */
    public static Path headPackage()
    {
        return repoRoot().resolve("models/repository/intent/20261125-1");
    }

    public static List<LabelledQuery> dev()
    {
        try
        {
            return LabelledQuery.readTsv(repoRoot().resolve("models/data/dev.tsv"), catalog());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Copies a package folder.
     */
    public static void copy(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }
}
