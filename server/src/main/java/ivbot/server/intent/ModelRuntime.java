package ivbot.server.intent;

import ivbot.inference.IntentCatalog;
import ivbot.inference.batch.InferenceAgent;
import ivbot.inference.batch.RateLimitedErrorLog;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.model.ModelRepository;
import ivbot.inference.model.OrtSessions;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The model side of a running server: the inference agent on its own thread, the model repository with
 * its validation gate, and a poller that checks the repository for new versions.
 * <p>
 * Errors: the agent and its {@code AgentRunner} share one error handler (a {@link RateLimitedErrorLog}, at
 * most one ERROR line per kind of error every 10 s) and one error counter, read by
 * {@link InferenceAgent#errors()}: a failed batch is counted by the agent, an {@link Error} (which ends the
 * inference thread, the server then answering by rules with {@code no_model}) by the runner.
 */
public final class ModelRuntime implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ModelRuntime.class);

    /**
     * Settings: documented name/default pairs, checked by {@link #start}.
     */
    public static final class Settings
    {
        /** {@code --model-repository}: folder of model versions. */
        public Path repository = Path.of("models/repository/intent");
        /** {@code --catalog}: the catalog of packages that carry none, and of the gate data's labels. */
        public Path catalog = Path.of("models/catalog.json");
        /** {@code --gate-data}: labelled queries for the hot-reload gate. */
        public Path gateData = Path.of("models/data/dev.tsv");
        /** {@code --max-f1-drop}: how far below the serving macro-F1 a new version may score. */
        public double maxF1Drop = 0.01;
        /** {@code --device}: auto, cpu, cuda, cuda:N. */
        public String device = "auto";
        /** {@code --intra-op-threads}: ONNX Runtime threads; 0: cores left after the event loops. */
        public int intraOpThreads = 0;
        /** {@code --max-batch}: requests per ONNX Runtime call. */
        public int maxBatchSize = 16;
        /**
         * {@code --max-batch-delay-us}: how long the oldest request waits for its batch to fill. 0: no
         * waiting; batches form from what queues while the previous batch runs (on CPU a batch costs about
         * its size times a single query, so holding a query back only adds latency).
         */
        public long maxBatchDelayUs = 0;
        /** {@code --queue-capacity}: bound of the inference queue. */
        public int queueCapacity = 1024;
        /** {@code --model-poll-ms}: how often the repository is checked; 0: only at start. */
        public long pollMs = 5000;
        /**
         * {@code --canary}: canary releases (a new version serves a cohort beside stable, soaks, then is promoted
         * or rolled back); {@code null}: a new version replaces the serving one at once.
         */
        public CanaryController.Settings canary;
        /** How often the canary is judged, milliseconds; 0: only when {@link CanaryController#evaluate()} is called. */
        public long canaryEvaluateMs = 1000;
    }

    private final InferenceAgent agent;
    private final AgentRunner runner;
    private final ModelRepository repository;
    private final ScheduledExecutorService poller;
    private final CanaryController canary;
    private final Path root;

    private ModelRuntime(final InferenceAgent agent, final AgentRunner runner, final ModelRepository repository,
        final ScheduledExecutorService poller, final CanaryController canary, final Path root)
    {
        this.agent = agent;
        this.runner = runner;
        this.repository = repository;
        this.poller = poller;
        this.canary = canary;
        this.root = root;
    }

    // ONNX Runtime's session creation needs more native stack than 1 MiB
    private static final long MODEL_THREAD_STACK_BYTES = 4L << 20;

    private static void onLargeStack(final String name, final Runnable task)
    {
        final RuntimeException[] failure = new RuntimeException[1];
        final Error[] error = new Error[1];
        final Thread thread = new Thread(null, () ->
        {
            try
            {
                task.run();
            }
            catch (final RuntimeException ex)
            {
                failure[0] = ex;
            }
            catch (final Error ex)
            {
                error[0] = ex;
            }
        }, name, MODEL_THREAD_STACK_BYTES);
        thread.start();
        boolean interrupted = false;
        while (true)
        {
            try
            {
                thread.join();
                break;
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
        if (error[0] != null)
        {
            throw error[0];
        }
        if (failure[0] != null)
        {
            throw failure[0];
        }
    }

    /**
     * Loads the newest usable version (if any), starts the inference thread and the poller, with nothing to
     * check a package's catalog against.
     *
     * @param settings the settings.
     * @param onSwap   runs after each installed version (e.g. to clear the result cache).
     * @return the runtime; a repository with no usable version gives a runtime with no model.
     * @throws IOException when the catalog or the gate data cannot be read.
     */
    public static ModelRuntime start(final Settings settings, final Runnable onSwap) throws IOException
    {
        return start(settings, catalog -> { }, onSwap);
    }

    /**
     * Loads the newest usable version (if any), starts the inference thread and the poller.
     *
     * @param settings the settings.
     * @param adopt    runs on the repository's thread before each version is swapped in, with the catalog of
     *                 its labels (e.g. {@code ServingSnapshots::adopt}, which re-reads the rules and the
     *                 knowledge base against it); throwing refuses the version, and the serving one stays.
     * @param onSwap   runs after each installed version (e.g. to clear the result cache).
     * @return the runtime; a repository with no usable version gives a runtime with no model.
     * @throws IOException when the catalog or the gate data cannot be read.
     */
    public static ModelRuntime start(final Settings settings, final Consumer<IntentCatalog> adopt, final Runnable onSwap)
        throws IOException
    {
        Objects.requireNonNull(adopt, "adopt");
        Objects.requireNonNull(onSwap, "onSwap");
        OrtSessions.checkDevice(settings.device);
        if (settings.intraOpThreads <= 0)
        {
            throw new IllegalArgumentException("--intra-op-threads=" + settings.intraOpThreads + " (expected: > 0)");
        }
        final IntentCatalog catalog = IntentCatalog.load(settings.catalog);
        final List<LabelledQuery> gate = LabelledQuery.readTsv(settings.gateData, catalog);
        final ErrorHandler errorLog = new RateLimitedErrorLog(LoggerFactory.getLogger(InferenceAgent.class), "inference",
            RateLimitedErrorLog.DEFAULT_INTERVAL_NS, SystemNanoClock.INSTANCE);
        final AtomicCounter errors = InferenceAgent.newStandaloneCounter();
        final InferenceAgent agent = new InferenceAgent(settings.queueCapacity, settings.maxBatchSize, settings.maxBatchDelayUs,
            SystemNanoClock.INSTANCE, errorLog, errors);
        final CanaryController[] canary = new CanaryController[1];
        final ModelRepository repository = new ModelRepository(settings.repository, catalog, gate, settings.maxF1Drop,
            settings.device, settings.intraOpThreads, settings.maxBatchSize, model ->
            {
                // the served snapshot (catalog, rules, knowledge base) is one for both versions: a candidate's
                // catalog is adopted when it starts to serve its cohort (a new intent's answer then exists for all)
                adopt.accept(model.catalog());
                if (canary[0] != null && agent.predictor() != null)
                {
                    canary[0].onCandidate(model);
                }
                else
                {
                    agent.swap(model);
                }
                onSwap.run();
            });
        if (settings.canary != null)
        {
            repository.useCanaries();
            canary[0] = new CanaryController(settings.canary, agent, System::currentTimeMillis,
                new CanaryController.Listener()
                {
                    @Override
                    public void promoted(final String version)
                    {
                        repository.promoted(version);
                        onSwap.run();
                    }

                    @Override
                    public void rolledBack(final String version, final String reason)
                    {
                        repository.rolledBack(version, reason);
                    }
                });
        }
        // the first load runs ONNX Runtime's session creation, which needs more native stack than a small
        // default thread stack (java's main thread: 1 MiB) gives: it crashed a serve process (SIGSEGV) there
        onLargeStack("ivbot-model-load", repository::check);
        if (repository.servingVersion() == null)
        {
            LOG.warn("no usable model in {}: answering with the rule engine (fallback_reason no_model)", settings.repository);
        }
        final AgentRunner runner = new AgentRunner(agent.idleStrategy(), errorLog, errors, agent);
        AgentRunner.startOnThread(runner);
        ScheduledExecutorService poller = null;
        if (settings.pollMs > 0 || (canary[0] != null && settings.canaryEvaluateMs > 0))
        {
            poller = Executors.newSingleThreadScheduledExecutor(r ->
            {
                // loading and validating a candidate runs ONNX Runtime's session creation on this thread,
                // which needs more native stack than a small default thread stack gives
                final Thread t = new Thread(null, r, "ivbot-model-repository", MODEL_THREAD_STACK_BYTES);
                t.setDaemon(true);
                return t;
            });
            if (settings.pollMs > 0)
            {
                poller.scheduleWithFixedDelay(repository::check, settings.pollMs, settings.pollMs, TimeUnit.MILLISECONDS);
            }
            if (canary[0] != null && settings.canaryEvaluateMs > 0)
            {
                final CanaryController judge = canary[0];
                poller.scheduleWithFixedDelay(() ->
                {
                    try
                    {
                        judge.evaluate();
                    }
                    catch (final RuntimeException ex)
                    {
                        LOG.warn("canary evaluation failed", ex);
                    }
                }, settings.canaryEvaluateMs, settings.canaryEvaluateMs, TimeUnit.MILLISECONDS);
            }
        }
        return new ModelRuntime(agent, runner, repository, poller, canary[0], settings.repository);
    }

    /** @return the canary controller, or {@code null} when canaries are off. */
    public CanaryController canary()
    {
        return canary;
    }

    /** @return the inference agent. */
    public InferenceAgent agent()
    {
        return agent;
    }

    /** @return the model repository. */
    public ModelRepository repository()
    {
        return repository;
    }

    /**
     * @return the folder of the version in service, or {@code null} when none is; any thread (for a second
     *         load of the same package, such as the explainer's).
     */
    public Path servingPackage()
    {
        // with canaries, the stable version: the one that answers everyone outside the canary cohort
        final String version = repository.stableVersion();
        return version == null ? null : root.resolve(version);
    }

    @Override
    public void close()
    {
        if (poller != null)
        {
            poller.shutdownNow();
        }
        runner.close();
    }
}
