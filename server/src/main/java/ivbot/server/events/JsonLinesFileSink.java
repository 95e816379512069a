package ivbot.server.events;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import ivbot.proto.TurnEvent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turn events as JSON lines in a folder, what a log shipper (Filebeat) tails into Kafka: one object per line,
 * snake_case fields as in {@code TurnEvent}, files rotated daily (UTC) and by size, and files older than the
 * retention deleted.
 * <pre>
 *   events/turns-2026-12-02-0.jsonl     the day's first file
 *   events/turns-2026-12-02-1.jsonl     after the first reached maxFileBytes
 * </pre>
 * Each batch is written and flushed whole, so a reader never sees half a batch except at a crash. Used by
 * one thread (see {@link EventSink}).
 */
public final class JsonLinesFileSink implements EventSink
{
    private static final Pattern NAME = Pattern.compile("turns-(\\d{4}-\\d{2}-\\d{2})-(\\d+)\\.jsonl");
    private static final JsonFactory JSON = new JsonFactory();

    private final Path dir;
    private final long maxFileBytes;
    private final int retentionDays;
    private final LongSupplier clockMs;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(64 * 1024);
    private OutputStream out;
    private LocalDate day;
    private int sequence;
    private long fileBytes;

    /**
     * @param dir           the folder, made if absent.
     * @param maxFileBytes  a file past this size is closed and the next one opened.
     * @param retentionDays files of days older than this many days are deleted.
     * @param clockMs       the wall clock, epoch milliseconds.
     * @throws IOException when the folder cannot be made.
     */
    public JsonLinesFileSink(final Path dir, final long maxFileBytes, final int retentionDays, final LongSupplier clockMs)
        throws IOException
    {
        if (maxFileBytes <= 0)
        {
            throw new IllegalArgumentException("maxFileBytes=" + maxFileBytes + " (expected: > 0)");
        }
        if (retentionDays <= 0)
        {
            throw new IllegalArgumentException("retentionDays=" + retentionDays + " (expected: > 0)");
        }
        this.dir = dir;
        this.maxFileBytes = maxFileBytes;
        this.retentionDays = retentionDays;
        this.clockMs = clockMs;
        Files.createDirectories(dir);
    }

    @Override
    public void write(final List<TurnEvent> events) throws IOException
    {
        final LocalDate today = LocalDate.ofEpochDay(Math.floorDiv(clockMs.getAsLong(), 86_400_000L));
        if (out == null || !today.equals(day) || fileBytes >= maxFileBytes)
        {
            rotate(today);
        }
        buffer.reset();
        try (JsonGenerator gen = JSON.createGenerator(buffer, JsonEncoding.UTF8))
        {
            gen.setRootValueSeparator(null);
            for (final TurnEvent event : events)
            {
                TurnEventJson.write(gen, event);
                gen.flush();
                buffer.write('\n');
            }
        }
        buffer.writeTo(out);
        out.flush();
        fileBytes += buffer.size();
    }

    private void rotate(final LocalDate today) throws IOException
    {
        if (out != null)
        {
            out.close();
            out = null;
        }
        sequence = today.equals(day) ? sequence + 1 : nextSequence(today);
        day = today;
        final Path file = dir.resolve("turns-" + today + "-" + sequence + ".jsonl");
        out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        fileBytes = Files.size(file);
        deleteExpired(today);
    }

    /** After a restart the day goes on in a new file rather than appending to one a reader may have done with. */
    private int nextSequence(final LocalDate today) throws IOException
    {
        int next = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "turns-" + today + "-*.jsonl"))
        {
            for (final Path file : files)
            {
                final Matcher m = NAME.matcher(file.getFileName().toString());
                if (m.matches())
                {
                    next = Math.max(next, Integer.parseInt(m.group(2)) + 1);
                }
            }
        }
        return next;
    }

    private void deleteExpired(final LocalDate today) throws IOException
    {
        final LocalDate oldestKept = today.minusDays(retentionDays - 1L);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "turns-*.jsonl"))
        {
            for (final Path file : files)
            {
                final Matcher m = NAME.matcher(file.getFileName().toString());
                if (m.matches() && LocalDate.parse(m.group(1)).isBefore(oldestKept))
                {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    @Override
    public String describe()
    {
        return "JSON-lines files in " + dir;
    }

    @Override
    public void close() throws IOException
    {
        if (out != null)
        {
            out.close();
            out = null;
        }
    }
}
