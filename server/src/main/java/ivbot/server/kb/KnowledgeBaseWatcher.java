package ivbot.server.kb;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Serves the current {@link KnowledgeBase} and reloads it when its files change. A daemon thread
 * compares the directory's newest modification time and file count every {@code pollMs}; a changed
 * directory that does not load keeps the previous snapshot in service and is logged. Readers get the
 * snapshot through a volatile read.
 */
public final class KnowledgeBaseWatcher implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(KnowledgeBaseWatcher.class);

    private final Path dir;
    private final ScheduledExecutorService poller;
    private volatile KnowledgeBase current;
    private volatile long reloads;
    private long lastStamp;

    /**
     * Loads the directory once, failing if it does not load, then starts polling.
     *
     * @param dir    the knowledge-base directory.
     * @param pollMs the polling interval; 0 disables reloading.
     * @throws IOException when the first load fails.
     */
    public KnowledgeBaseWatcher(final Path dir, final long pollMs) throws IOException
    {
        this.dir = dir;
        this.lastStamp = stamp();
        this.current = KnowledgeBase.load(dir);
        if (pollMs > 0)
        {
            poller = Executors.newSingleThreadScheduledExecutor(r ->
            {
                final Thread t = new Thread(r, "ivbot-kb-watcher");
                t.setDaemon(true);
                return t;
            });
            poller.scheduleWithFixedDelay(this::poll, pollMs, pollMs, TimeUnit.MILLISECONDS);
        }
        else
        {
            poller = null;
        }
    }

    /**
     * @return the snapshot in service.
     */
    public KnowledgeBase current()
    {
        return current;
    }

    /**
     * @return how many times a changed directory was loaded and put in service.
     */
    public long reloads()
    {
        return reloads;
    }

    /**
     * Checks the directory once and reloads when it changed. Called by the poller thread; tests may call it.
     *
     * @return true when a new snapshot was put in service.
     */
    public synchronized boolean poll()
    {
        try
        {
            final long stamp = stamp();
            if (stamp == lastStamp)
            {
                return false;
            }
            lastStamp = stamp;
            current = KnowledgeBase.load(dir);
            reloads++;
            LOG.info("knowledge base reloaded from {}", dir);
            return true;
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.warn("knowledge base not reloaded, keeping the previous one: {}", ex.getMessage());
            return false;
        }
    }

    private long stamp() throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            long newest = 0;
            long count = 0;
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                newest = Math.max(newest, Files.getLastModifiedTime(file).toMillis());
                count++;
            }
            return newest * 31 + count;
        }
    }

    @Override
    public void close()
    {
        if (poller != null)
        {
            poller.shutdownNow();
        }
    }
}
