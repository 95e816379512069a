package ivbot.server.explain;

import ivbot.proto.Explanation;
import ivbot.server.metrics.MetricsReporter;
import ivbot.server.metrics.ServerMetrics;
import ivbot.server.metrics.Stage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Explanations of chat turns ({@code "explain": true}), off the serving path: one thread of its own with its
 * own {@link ExplainModel} (a second load of the serving package), so the inference agent's batches never carry
 * an explanation and a normal request pays nothing for one.
 * <p>
 * The package is loaded in the background at start, and again by the first explanation after a swap (the
 * explainer compares the serving package's folder with its own before each one), not in the background at the
 * swap: ONNX Runtime releases its environment in a JVM shutdown hook of its own, which runs beside the server's,
 * and a session being made at that moment aborts the process; a swap must not start such work unasked.
 * <p>
 * Bounded three ways: at most {@link Settings#maxPending} explanations at once, running or waiting (a turn
 * past it is refused before anything of it happens: {@link #tryAcquire()} gives {@code null}); at most
 * {@link ExplainModel#MAX_TOKENS} masked copies of a query; and a deadline, past which the reply goes out
 * with an explanation that says {@code skipped: "deadline"} (a waiting explanation whose deadline passed is
 * not computed at all).
 * <p>
 * Threads: {@link #tryAcquire()} and {@link #explain} are called on a turn's event loop; the returned future
 * completes on that loop. Loading, reloading and computing run on the thread {@code ivbot-explainer}.
 * Counters are {@link LongAdder}s, read by the metrics reporter from any thread.
 */
public final class Explainer implements AutoCloseable
{
    /** {@link Explanation#getSkipped()} when no model is loaded (rules only, or an empty repository). */
    public static final String NO_MODEL = "no_model";
    /** {@link Explanation#getSkipped()} when the deadline passed first. */
    public static final String DEADLINE = "deadline";
    /** {@link Explanation#getSkipped()} when computing it failed. */
    public static final String ERROR = "error";

    private static final Logger LOG = LoggerFactory.getLogger(Explainer.class);
    // ONNX Runtime's session creation needs more native stack than 1 MiB
    private static final long THREAD_STACK_BYTES = 4L << 20;

    /**
     * Settings: documented name/default pairs, checked by the constructor.
     */
    public static final class Settings
    {
        /** {@code --explain-max-pending}: explanations running or waiting at once. */
        public int maxPending = 2;
        /** {@code --explain-deadline-ms}: how long a reply waits for its explanation after classification. */
        public long deadlineMs = 2000;
        /** {@code --device}: the explainer's sessions run where the serving model does. */
        public String device = "cpu";
        /** ONNX Runtime intra-op threads of each of the explainer's sessions: one, beside the serving path. */
        public int intraOpThreads = 1;
        /** Rows per ONNX Runtime call of the masked copies. */
        public int maxBatchSize = 16;
        /** The catalog in service, for a package that carries none of its own; required. */
        public java.util.function.Supplier<ivbot.inference.IntentCatalog> catalog;
    }

    /**
     * A place among the {@link Settings#maxPending} explanations, taken before the turn starts. It is either
     * handed to {@link #explain}, which gives it back once the explanation is done, or given back by
     * {@link #release()} when the turn ends without one. Thread-safe; giving it back twice does nothing.
     */
    public final class Permit
    {
        private static final int HELD = 0;
        private static final int SUBMITTED = 1;
        private static final int RELEASED = 2;
        private final AtomicInteger state = new AtomicInteger(HELD);

        private Permit()
        {
        }

        /**
         * Gives the place back unless {@link #explain} took it. Any thread.
         */
        public void release()
        {
            if (state.compareAndSet(HELD, RELEASED))
            {
                slots.release();
            }
        }

        private boolean submit()
        {
            return state.compareAndSet(HELD, SUBMITTED);
        }

        private void done()
        {
            if (state.getAndSet(RELEASED) != RELEASED)
            {
                slots.release();
            }
        }
    }

    private final Settings settings;
    private final Supplier<Path> servingPackage;
    private final ServerMetrics metrics;
    private final Semaphore slots;
    private final ThreadPoolExecutor thread;
    private final LongAdder requests = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder explained = new LongAdder();
    private final LongAdder deadlines = new LongAdder();
    private final LongAdder noModel = new LongAdder();
    private final LongAdder errors = new LongAdder();
    // owned by the explainer thread
    private ExplainModel loaded;
    private Path loadedFrom;

    /**
     * Starts the thread and loads the serving package on it (in the background).
     *
     * @param settings       the settings.
     * @param servingPackage the folder of the package in service, or {@code null} when none; read on the
     *                       explainer thread (e.g. {@code ModelRuntime::servingPackage}).
     * @param metrics        where {@link Stage#EXPLAIN} latencies are recorded.
     */
    public Explainer(final Settings settings, final Supplier<Path> servingPackage, final ServerMetrics metrics)
    {
        if (settings.maxPending <= 0)
        {
            throw new IllegalArgumentException("--explain-max-pending=" + settings.maxPending + " (expected: > 0)");
        }
        if (settings.deadlineMs <= 0)
        {
            throw new IllegalArgumentException("--explain-deadline-ms=" + settings.deadlineMs + " (expected: > 0)");
        }
        Objects.requireNonNull(settings.catalog, "settings.catalog");
        this.settings = settings;
        this.servingPackage = Objects.requireNonNull(servingPackage, "servingPackage");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.slots = new Semaphore(settings.maxPending);
        // the queue holds at most maxPending explanations and a few reloads: the permits bound it
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r ->
        {
            final Thread t = new Thread(null, r, "ivbot-explainer", THREAD_STACK_BYTES);
            t.setDaemon(true);
            return t;
        });
        refresh();
    }

    /**
     * Adds the explainer's counters to the reporter's snapshots ({@code ivbot_explain_total} by outcome); its
     * latency is the stage {@link Stage#EXPLAIN}.
     *
     * @param reporter the reporter.
     * @return this.
     */
    public Explainer register(final MetricsReporter reporter)
    {
        reporter
            .register("ivbot_explain_total", "counter",
                "Chat requests with explain by outcome: explained, rejected (busy), deadline, no_model, error.",
                "outcome=\"explained\"", explained::sum)
            .register("ivbot_explain_total", "counter", "", "outcome=\"rejected\"", rejected::sum)
            .register("ivbot_explain_total", "counter", "", "outcome=\"deadline\"", deadlines::sum)
            .register("ivbot_explain_total", "counter", "", "outcome=\"no_model\"", noModel::sum)
            .register("ivbot_explain_total", "counter", "", "outcome=\"error\"", errors::sum)
            .register("ivbot_explain_requests_total", "counter", "Chat requests that asked for an explanation.", "",
                requests::sum);
        return this;
    }

    /**
     * Takes a place for one explanation. Event loop; never blocks.
     *
     * @return the permit, or {@code null} when {@link Settings#maxPending} explanations are already under
     *         way (the caller answers 503 {@code busy}).
     */
    public Permit tryAcquire()
    {
        requests.increment();
        if (!slots.tryAcquire())
        {
            rejected.increment();
            return null;
        }
        return new Permit();
    }

    /**
     * Explains one turn on the explainer's thread.
     *
     * @param permit  from {@link #tryAcquire()}; given back when the explanation is done or skipped.
     * @param context the turn's segment A (the session topic's Chinese name), or {@code null}.
     * @param query   the query as typed.
     * @param intent  the reply's intent id.
     * @param loop    the turn's event loop: the future completes there, and the deadline runs there.
     * @return the explanation; never fails ({@link Explanation#getSkipped()} says what went wrong).
     */
    public CompletableFuture<Explanation> explain(final Permit permit, final String context, final String query,
        final String intent, final ScheduledExecutorService loop)
    {
        final CompletableFuture<Explanation> result = new CompletableFuture<>();
        if (!permit.submit())
        {
            throw new IllegalStateException("permit already used");
        }
        final long submittedNs = System.nanoTime();
        final ScheduledFuture<?> deadline = loop.schedule(() ->
        {
            // counted before completing (both run on the loop): whoever sees the reply sees it counted
            if (!result.isDone())
            {
                deadlines.increment();
                result.complete(skipped(DEADLINE));
            }
        }, settings.deadlineMs, TimeUnit.MILLISECONDS);
        try
        {
            thread.execute(() ->
            {
                final Explanation explanation;
                try
                {
                    explanation = compute(result, context, query, intent, submittedNs);
                }
                finally
                {
                    // the place is free once the work is: given back before the reply can reach the client, so
                    // that client's next explain request finds it free
                    permit.done();
                }
                if (explanation != null)
                {
                    deliver(loop, deadline, result, explanation);
                }
            });
        }
        catch (final RejectedExecutionException ex)
        {
            permit.done();
            deadline.cancel(false);
            errors.increment();
            result.complete(skipped(ERROR));
        }
        return result;
    }

    private void deliver(final ScheduledExecutorService loop, final ScheduledFuture<?> deadline,
        final CompletableFuture<Explanation> result, final Explanation explanation)
    {
        try
        {
            loop.execute(() ->
            {
                deadline.cancel(false);
                // counted before completing, which writes the reply: a client that reads the counters after its
                // reply finds its explanation counted (the deadline timer runs on this loop too)
                if (!result.isDone())
                {
                    countOutcome(explanation.getSkipped());
                    result.complete(explanation);
                }
            });
        }
        catch (final RejectedExecutionException ex)
        {
            // the loop is shutting down with its connection: nobody waits for this reply
            LOG.debug("explanation dropped: event loop closed");
        }
    }

    private void countOutcome(final String skipped)
    {
        if (skipped.isEmpty())
        {
            explained.increment();
        }
        else if (NO_MODEL.equals(skipped))
        {
            noModel.increment();
        }
        else
        {
            errors.increment();
        }
    }

    // the explainer thread; null when the deadline passed before it started
    private Explanation compute(final CompletableFuture<Explanation> result, final String context, final String query,
        final String intent, final long submittedNs)
    {
        if (result.isDone())
        {
            return null;
        }
        reload();
        if (loaded == null)
        {
            return skipped(NO_MODEL);
        }
        try
        {
            final Explanation explanation = loaded.explain(context, query, intent);
            final long tookNs = System.nanoTime() - submittedNs;
            metrics.record(Stage.EXPLAIN, tookNs / 1000);
            return explanation.toBuilder().setLatencyMs(tookNs / 1e6).build();
        }
        catch (final Exception ex)
        {
            LOG.warn("explaining a turn failed on model {}: {}", loaded.version(), ex.toString());
            return skipped(ERROR);
        }
    }

    /**
     * @param reason why there is no explanation.
     * @return an explanation that says so.
     */
    public static Explanation skipped(final String reason)
    {
        return Explanation.newBuilder().setSkipped(reason).build();
    }

    // any thread; the load runs on the explainer's thread
    private void refresh()
    {
        try
        {
            thread.execute(this::reload);
        }
        catch (final RejectedExecutionException ex)
        {
            LOG.debug("explainer closed: no reload");
        }
    }

    // the explainer thread
    private void reload()
    {
        final Path want = servingPackage.get();
        if (Objects.equals(want, loadedFrom))
        {
            return;
        }
        unload();
        loadedFrom = want;
        if (want == null)
        {
            return;
        }
        try
        {
            final long startNs = System.nanoTime();
            loaded = ExplainModel.load(want, settings.catalog.get(), settings.device, settings.intraOpThreads,
                settings.maxBatchSize);
            LOG.info("explainer loaded {} in {} ms ({})", want.getFileName(), (System.nanoTime() - startNs) / 1_000_000,
                loaded.hasIndex() ? "with its question index" : "no question index: no nearest questions");
        }
        catch (final Exception ex)
        {
            LOG.warn("explainer cannot load {}: {} (explanations say no_model)", want, ex.getMessage());
        }
    }

    /**
     * @return explanations asked for, rejected ones included.
     */
    public long requests()
    {
        return requests.sum();
    }

    /**
     * @return explanations refused because {@link Settings#maxPending} were under way.
     */
    public long rejected()
    {
        return rejected.sum();
    }

    /**
     * @return explanations delivered whole.
     */
    public long explained()
    {
        return explained.sum();
    }

    /**
     * @return replies that went out without their explanation because the deadline passed.
     */
    public long deadlines()
    {
        return deadlines.sum();
    }

    /**
     * Stops the thread once the explanations already queued are done, and releases the sessions there.
     * Waits at most 30 s.
     */
    @Override
    public void close()
    {
        try
        {
            thread.execute(this::unload);
        }
        catch (final RejectedExecutionException ex)
        {
            return;
        }
        thread.shutdown();
        try
        {
            if (!thread.awaitTermination(30, TimeUnit.SECONDS))
            {
                LOG.warn("explainer thread still busy after 30 s; its sessions are left to the process exit");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    // the explainer thread
    private void unload()
    {
        if (loaded != null)
        {
            loaded.close();
            loaded = null;
        }
        loadedFrom = null;
    }
}
