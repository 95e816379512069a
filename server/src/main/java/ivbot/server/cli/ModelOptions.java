package ivbot.server.cli;

import ivbot.inference.IntentCatalog;
import ivbot.server.explain.Explainer;
import ivbot.server.intent.CanaryController;
import ivbot.server.intent.IntentClassifier;
import ivbot.server.intent.ModelRuntime;
import ivbot.server.kb.ServingSnapshots;
import ivbot.server.metrics.ServerMetrics;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The model options shared by {@code serve} and {@code eval-dialogs}.
 */
final class ModelOptions
{
    @Option(names = "--catalog", defaultValue = "${sys:ivbot.home:-.}/models/catalog.json",
        description = "Intent catalog served at start, and the one of model packages that carry none; a package with its own catalog.json brings it into service with it (default: ${DEFAULT-VALUE}).")
    Path catalog;

    @Option(names = "--rules", description = "Rule file, re-read with the knowledge base when it changes and against each new catalog (default: the built-in rules).")
    Path rules;

    @Option(names = "--model-repository", defaultValue = "${sys:ivbot.home:-.}/models/repository/intent",
        description = "Folder of model versions (default: ${DEFAULT-VALUE}).")
    Path repository;

    @Option(names = "--gate-data", defaultValue = "${sys:ivbot.home:-.}/models/data/dev.tsv",
        description = "Labelled queries for the hot-reload gate (default: ${DEFAULT-VALUE}).")
    Path gateData;

    @Option(names = "--max-f1-drop", defaultValue = "0.01", description = "A new version may score at most this far below the serving macro-F1 (default: ${DEFAULT-VALUE}).")
    double maxF1Drop;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--intra-op-threads", defaultValue = "0", description = "ONNX Runtime threads, 0 = cores left after the event loops (default: ${DEFAULT-VALUE}).")
    int intraOpThreads;

    @Option(names = "--max-batch", defaultValue = "16", description = "Queries per ONNX Runtime call (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-batch-delay-us", defaultValue = "0", description = "How long the oldest query waits for its batch to fill; 0: a batch is whatever queued while the previous one ran (default: ${DEFAULT-VALUE}).")
    long maxBatchDelayUs;

    @Option(names = "--queue-capacity", defaultValue = "1024", description = "Bound of the inference queue (default: ${DEFAULT-VALUE}).")
    int queueCapacity;

    @Option(names = "--deadline-ms", defaultValue = "200", description = "Model deadline after a request's arrival (default: ${DEFAULT-VALUE}).")
    long deadlineMs;

    @Option(names = "--cache-size", defaultValue = "100000", description = "Cached model answers, 0 = no cache (default: ${DEFAULT-VALUE}).")
    long cacheSize;

    @Option(names = "--model-poll-ms", defaultValue = "5000", description = "How often the repository is checked for new versions, 0 = only at start (default: ${DEFAULT-VALUE}).")
    long pollMs;

    @Option(names = "--topic-confidence", defaultValue = "0.9", description = "Model confidence above which a turn the rules see no topic in still counts as naming one (default: ${DEFAULT-VALUE}).")
    float topicConfidence;

    @Option(names = "--rules-first", defaultValue = "true", arity = "1", description = "Let the rules answer first where they name a topic with the package's calibrated rules_threshold; false sends every uncached query to the model (default: ${DEFAULT-VALUE}).")
    boolean rulesFirst;

    @Option(names = "--max-queued-per-user", defaultValue = "8", description = "Model requests one user may have waiting at once; past it that user's turns fall back to the rules (user_share), everyone else's still reach the model; 0 = no limit (default: ${DEFAULT-VALUE}).")
    int maxQueuedPerUser;

    @Option(names = "--no-model", description = "Answer with the rule engine only.")
    boolean noModel;

    @Option(names = "--canary", defaultValue = "on", description = "on: a new model version serves a canary cohort beside the stable one, soaks, then is promoted or rolled back; off: it replaces the serving version at once (default: ${DEFAULT-VALUE}).")
    String canary;

    @Option(names = "--canary-share", defaultValue = "0.05", description = "Share of users (a stable hash of the token's sub) the candidate answers; tokens with \"canary\": true always (default: ${DEFAULT-VALUE}).")
    double canaryShare;

    @Option(names = "--canary-soak-s", defaultValue = "600", description = "Soak before promotion, seconds (default: ${DEFAULT-VALUE}).")
    long canarySoakS;

    @Option(names = "--canary-min-turns", defaultValue = "200", description = "Fewest canary turns answered by the candidate before promotion (default: ${DEFAULT-VALUE}).")
    long canaryMinTurns;

    @Option(names = "--canary-min-samples", defaultValue = "50", description = "Samples each side needs before a figure is judged (default: ${DEFAULT-VALUE}).")
    long canaryMinSamples;

    @Option(names = "--canary-max-p99-ratio", defaultValue = "1.2", description = "Rollback when the canary cohort's model P99 exceeds stable's times this (default: ${DEFAULT-VALUE}).")
    double canaryMaxP99Ratio;

    @Option(names = "--canary-max-fallback-increase", defaultValue = "0.02", description = "Rollback when the canary fallback share exceeds stable's by more (default: ${DEFAULT-VALUE}).")
    double canaryMaxFallbackIncrease;

    @Option(names = "--canary-max-error-increase", defaultValue = "0.01", description = "Rollback when the canary model-error share exceeds stable's by more (default: ${DEFAULT-VALUE}).")
    double canaryMaxErrorIncrease;

    @Option(names = "--canary-min-agreement", defaultValue = "0.9", description = "Rollback when the candidate agrees with stable on fewer shadowed queries (default: ${DEFAULT-VALUE}).")
    double canaryMinAgreement;

    @Option(names = "--canary-shadow-share", defaultValue = "0.1", description = "Share of the stable cohort's model queries the candidate also scores, off the hot path (default: ${DEFAULT-VALUE}).")
    double canaryShadowShare;

    /**
     * @return the canary settings, or {@code null} with {@code --canary off}.
     * @throws IllegalArgumentException naming a bad setting.
     */
    CanaryController.Settings canarySettings()
    {
        if ("off".equals(canary))
        {
            return null;
        }
        if (!"on".equals(canary))
        {
            throw new IllegalArgumentException("--canary=" + canary + " (expected: on or off)");
        }
        final CanaryController.Settings settings = new CanaryController.Settings();
        settings.share = canaryShare;
        settings.soakMs = canarySoakS * 1000;
        settings.minTurns = canaryMinTurns;
        settings.minSamples = canaryMinSamples;
        settings.maxP99Ratio = canaryMaxP99Ratio;
        settings.maxFallbackIncrease = canaryMaxFallbackIncrease;
        settings.maxErrorIncrease = canaryMaxErrorIncrease;
        settings.minAgreement = canaryMinAgreement;
        settings.shadowShare = canaryShadowShare;
        settings.check();
        return settings;
    }

    @Option(names = "--explain-max-pending", defaultValue = "2", description = "Explanations (\"explain\": true) running or waiting at once, on their own thread; more get 503 busy (default: ${DEFAULT-VALUE}).")
    int explainMaxPending;

    @Option(names = "--explain-deadline-ms", defaultValue = "2000", description = "How long a reply waits for its explanation; past it the reply goes out with \"skipped\": \"deadline\" (default: ${DEFAULT-VALUE}).")
    long explainDeadlineMs;

    /**
     * @param ioThreads event-loop threads, to size ONNX Runtime's threads.
     * @return the runtime settings.
     */
    ModelRuntime.Settings settings(final int ioThreads)
    {
        final ModelRuntime.Settings settings = new ModelRuntime.Settings();
        settings.repository = repository;
        settings.catalog = catalog;
        settings.gateData = gateData;
        settings.maxF1Drop = maxF1Drop;
        settings.device = device;
        settings.intraOpThreads = intraOpThreads > 0 ? intraOpThreads :
            Math.max(1, Runtime.getRuntime().availableProcessors() - ioThreads);
        settings.maxBatchSize = maxBatch;
        settings.maxBatchDelayUs = maxBatchDelayUs;
        settings.queueCapacity = queueCapacity;
        settings.pollMs = pollMs;
        settings.canary = canarySettings();
        return settings;
    }

    /**
     * Reads the catalog, the rules and the knowledge base, checked against each other.
     *
     * @param kb     the knowledge-base directory.
     * @param pollMs how often to look for changes of the knowledge base and the rule file; 0: never.
     * @return the snapshots, the first in service.
     * @throws IOException when one does not load; the message names the file and the intent.
     */
    ServingSnapshots snapshots(final Path kb, final long pollMs) throws IOException
    {
        InputFiles.requireReadable("--catalog", catalog);
        InputFiles.requireReadable("--rules", rules);
        return new ServingSnapshots(IntentCatalog.load(catalog), rules, kb, pollMs);
    }

    /**
     * Starts the model runtime (unless {@code --no-model}) and builds the classifier on it. A model whose
     * catalog differs from the one in service is installed only after {@code snapshots} adopted it.
     *
     * @param ioThreads event-loop threads.
     * @param snapshots the catalog, rules and knowledge base in service.
     * @return the runtime (or {@code null}) and the classifier.
     * @throws IOException when the gate data cannot be read.
     */
    Started start(final int ioThreads, final ServingSnapshots snapshots) throws IOException
    {
        return start(ioThreads, snapshots, null);
    }

    /**
     * Starts the model runtime (unless {@code --no-model}) and builds the classifier and the explainer on it.
     *
     * @param ioThreads event-loop threads.
     * @param snapshots the catalog, rules and knowledge base in service.
     * @param metrics   where the explainer records its latency; {@code null} for no explainer.
     * @return the runtime (or {@code null}), the classifier and the explainer (or {@code null}).
     * @throws IOException when the gate data cannot be read.
     */
    Started start(final int ioThreads, final ServingSnapshots snapshots, final ServerMetrics metrics) throws IOException
    {
        if (noModel)
        {
            return new Started(null, new IntentClassifier(snapshots::rules, null, 0, deadlineMs, topicConfidence, true,
                Integer.MAX_VALUE), null);
        }
        final IntentClassifier[] classifier = new IntentClassifier[1];
        final ModelRuntime runtime = ModelRuntime.start(settings(ioThreads), snapshots::adopt, () ->
        {
            if (classifier[0] != null)
            {
                classifier[0].clearCache();
            }
        });
        classifier[0] = new IntentClassifier(snapshots::rules, runtime.agent(), cacheSize, deadlineMs, topicConfidence,
            rulesFirst, maxQueuedPerUser <= 0 ? Integer.MAX_VALUE : maxQueuedPerUser, runtime.canary());
        final Explainer.Settings explain = new Explainer.Settings();
        explain.maxPending = explainMaxPending;
        explain.deadlineMs = explainDeadlineMs;
        explain.device = device;
        explain.catalog = () -> snapshots.knowledgeBase().catalog();
        // the explainer follows a swap by itself: it compares the serving package with its own before each explanation
        return new Started(runtime, classifier[0],
            metrics == null ? null : new Explainer(explain, runtime::servingPackage, metrics));
    }

    /**
     * @param runtime    the model runtime, or {@code null} with {@code --no-model}.
     * @param classifier the classifier.
     * @param explainer  the explainer, or {@code null} with {@code --no-model}.
     */
    record Started(ModelRuntime runtime, IntentClassifier classifier, Explainer explainer)
    {
    }
}
