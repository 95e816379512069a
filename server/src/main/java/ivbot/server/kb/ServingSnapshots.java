package ivbot.server.kb;

import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.rules.RuleClassifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Serves the current {@link ServingSnapshot} (catalog, rules, knowledge base) and replaces it whole:
 * <ul>
 *   <li>when the knowledge-base folder or the rule file changes: a daemon thread compares the folder's
 *   newest modification time and file count (and the rule file's) every {@code pollMs}, and re-reads both
 *   against the catalog in service;</li>
 *   <li>when the model repository installs a package whose catalog differs ({@link #adopt}): both are
 *   re-read against the new catalog before the model is swapped, and a knowledge base without an answer
 *   for one of its intents refuses the swap.</li>
 * </ul>
 * A change that does not load keeps the previous snapshot in service and is logged with the file and the
 * intent. Readers get the snapshot through one volatile read, so catalog, rules and answers are always of
 * one load; writers (the poller, the model repository's thread) are serialised by this object's lock.
 */
public final class ServingSnapshots implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ServingSnapshots.class);

    private final Path dir;
    private final Path rulesFile;
    private final ScheduledExecutorService poller;
    private volatile ServingSnapshot current;
    private volatile long reloads;
    private long lastStamp;

    /**
     * Loads the rules and the knowledge base against {@code catalog} once, failing if they do not load, then
     * starts polling.
     *
     * @param catalog   the catalog to serve first ({@code serve --catalog}).
     * @param rulesFile the rule file ({@code serve --rules}), or {@code null} for the built-in rules.
     * @param dir       the knowledge-base directory.
     * @param pollMs    the polling interval; 0 disables reloading on file changes.
     * @throws IOException when the first load fails; the message names the file and the intent.
     */
    public ServingSnapshots(final IntentCatalog catalog, final Path rulesFile, final Path dir, final long pollMs)
        throws IOException
    {
        this.dir = dir;
        this.rulesFile = rulesFile;
        this.lastStamp = stamp();
        this.current = load(catalog);
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
     * @return the snapshot in service; any thread.
     */
    public ServingSnapshot current()
    {
        return current;
    }

    /**
     * @return the knowledge base in service (a supplier for {@code ChatService}).
     */
    public KnowledgeBase knowledgeBase()
    {
        return current.knowledgeBase();
    }

    /**
     * @return the rules in service (a supplier for {@code IntentClassifier}).
     */
    public RuleClassifier rules()
    {
        return current.rules();
    }

    /**
     * @param id an intent id, e.g. read from a session store.
     * @return the intent of that id in the catalog in service, or {@code null} when it has none (a session
     * whose topic no longer exists reads as having no topic).
     */
    public Intent intent(final String id)
    {
        return current.catalog().fromId(id);
    }

    /**
     * @return how many times a new snapshot was put in service after the first.
     */
    public long reloads()
    {
        return reloads;
    }

    /**
     * Checks the knowledge-base folder and the rule file once and reloads both when either changed. Called
     * by the poller thread; tests may call it.
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
            install(load(current.catalog()));
            LOG.info("knowledge base and rules reloaded from {} and {}", dir, rulesName());
            return true;
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.warn("knowledge base and rules not reloaded, keeping the previous ones: {}", ex.getMessage());
            return false;
        }
    }

    /**
     * Makes {@code catalog} the one in service, with the rules and the knowledge base re-read against it, unless
     * it has the same intents as the catalog in service. Called by the model repository's thread before it
     * swaps in a model whose labels are of {@code catalog}.
     *
     * @param catalog the catalog of the model about to be installed.
     * @throws IllegalStateException when the rules or the knowledge base do not load against it (a label with
     *                               no answer, a rule naming an intent it lacks); the message names the file
     *                               and the intent, and the previous snapshot stays in service.
     */
    public synchronized void adopt(final IntentCatalog catalog)
    {
        if (current.catalog().sameIntents(catalog))
        {
            return;
        }
        final ServingSnapshot next;
        try
        {
            lastStamp = stamp();
            next = load(catalog);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new IllegalStateException("catalog " + catalog + " not adopted: " + ex.getMessage(), ex);
        }
        install(next);
        LOG.info("catalog {} in service, with knowledge base {} and rules {}", catalog, dir, rulesName());
    }

    private void install(final ServingSnapshot next)
    {
        current = next;
        reloads++;
    }

    private ServingSnapshot load(final IntentCatalog catalog) throws IOException
    {
        return new ServingSnapshot(catalog, RuleClassifier.loadOrDefault(rulesFile, catalog),
            KnowledgeBase.load(dir, catalog));
    }

    private String rulesName()
    {
        return rulesFile == null ? "(built in)" : rulesFile.toString();
    }

    private long stamp()
    {
        try (Stream<Path> files = Files.list(dir))
        {
            long newest = rulesFile == null ? 0 : Files.getLastModifiedTime(rulesFile).toMillis();
            long count = 0;
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                newest = Math.max(newest, Files.getLastModifiedTime(file).toMillis());
                count++;
            }
            return newest * 31 + count;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
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
