package ivbot.server.cli;

import ivbot.inference.rules.RuleClassifier;
import ivbot.server.explain.Explainer;
import ivbot.server.intent.IntentClassifier;
import ivbot.server.intent.ModelRuntime;
import ivbot.server.metrics.ServerMetrics;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The model options shared by {@code serve}, {@code eval} and {@code eval-dialogs}.
 */
final class ModelOptions
{
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
        settings.gateData = gateData;
        settings.maxF1Drop = maxF1Drop;
        settings.device = device;
        settings.intraOpThreads = intraOpThreads > 0 ? intraOpThreads :
            Math.max(1, Runtime.getRuntime().availableProcessors() - ioThreads);
        settings.maxBatchSize = maxBatch;
        settings.maxBatchDelayUs = maxBatchDelayUs;
        settings.queueCapacity = queueCapacity;
        settings.pollMs = pollMs;
        return settings;
    }

    /**
     * Starts the model runtime (unless {@code --no-model}) and builds the classifier on it, without an
     * explainer (for the evaluation commands).
     *
     * @param ioThreads event-loop threads.
     * @return the runtime (or {@code null}) and the classifier.
     * @throws IOException when the gate data cannot be read.
     */
    Started start(final int ioThreads) throws IOException
    {
        return start(ioThreads, null);
    }

    /**
     * Starts the model runtime (unless {@code --no-model}) and builds the classifier and the explainer on it.
     *
     * @param ioThreads event-loop threads.
     * @param metrics   where the explainer records its latency; {@code null} for no explainer.
     * @return the runtime (or {@code null}), the classifier and the explainer (or {@code null}).
     * @throws IOException when the gate data cannot be read.
     */
    Started start(final int ioThreads, final ServerMetrics metrics) throws IOException
    {
        final RuleClassifier rules = RuleClassifier.loadDefault();
        if (noModel)
        {
            return new Started(null, new IntentClassifier(rules, null, 0, deadlineMs, topicConfidence), null);
        }
        final IntentClassifier[] classifier = new IntentClassifier[1];
        final ModelRuntime runtime = ModelRuntime.start(settings(ioThreads), () ->
        {
            if (classifier[0] != null)
            {
                classifier[0].clearCache();
            }
        });
        classifier[0] = new IntentClassifier(rules, runtime.agent(), cacheSize, deadlineMs, topicConfidence, rulesFirst,
            maxQueuedPerUser <= 0 ? Integer.MAX_VALUE : maxQueuedPerUser);
        final Explainer.Settings explain = new Explainer.Settings();
        explain.maxPending = explainMaxPending;
        explain.deadlineMs = explainDeadlineMs;
        explain.device = device;
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
