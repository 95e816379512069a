package ivbot.analytics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The checkpoints folder ({@code --checkpoints DIR}) as Flink's file checkpoint storage lays it out:
 * <pre>
 *   DIR/&lt;job id&gt;/chk-17/_metadata     a complete checkpoint (its metadata is written last)
 *   DIR/&lt;job id&gt;/chk-18/               one the job was killed in the middle of: no _metadata, ignored
 *   DIR/&lt;job id&gt;/shared/, taskowned/
 * </pre>
 * Each run of the job has its own job id; checkpoints are retained on cancellation and on a kill, so the newest
 * complete one, across job ids, is where a restart resumes.
 */
public final class Checkpoints
{
    private Checkpoints()
    {
    }

    /**
     * @param dir the checkpoints folder.
     * @return the newest complete checkpoint's folder (by its metadata's modification time, then its number), or
     *         empty when there is none.
     */
    public static Optional<Path> latest(final Path dir)
    {
        if (!Files.isDirectory(dir))
        {
            return Optional.empty();
        }
        try (Stream<Path> jobs = Files.list(dir))
        {
            return jobs.filter(Files::isDirectory).flatMap(Checkpoints::complete)
                .max(Comparator.comparingLong(Checkpoints::modified).thenComparingLong(Checkpoints::number));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static Stream<Path> complete(final Path job)
    {
        try (Stream<Path> chks = Files.list(job))
        {
            return chks.filter(p -> p.getFileName().toString().startsWith("chk-"))
                .filter(p -> Files.isRegularFile(p.resolve("_metadata"))).toList().stream();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
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
            return Long.MIN_VALUE;
        }
    }

    private static long number(final Path chk)
    {
        try
        {
            return Long.parseLong(chk.getFileName().toString().substring("chk-".length()));
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }
}
