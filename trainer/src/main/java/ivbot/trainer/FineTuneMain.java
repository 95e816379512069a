package ivbot.trainer;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code ivbot fine-tune --out models/repository/intent/<version>/}: fine-tunes the whole encoder and the
 * head (see {@link FineTuner}) and writes an exported model package ({@link ExportedPackage}). Runs from
 * {@code trainer/target} with its dependencies in {@code trainer/target/lib}; DJL is offline and extracts
 * libtorch into {@code --djl-cache}.
 */
@Command(name = "ivbot fine-tune", mixinStandardHelpOptions = true,
    description = "Fine-tune the encoder and the intent head (DJL, PyTorch on the CPU) and write a model package.")
public final class FineTuneMain implements Callable<Integer>
{
    @Option(names = "--catalog", defaultValue = "${sys:ivbot.home:-.}/models/catalog.json", description = "Intent catalog: the label set; TSV labels must be its ids, and the package carries a copy (default: ${DEFAULT-VALUE}).")
    Path catalog;

    @Option(names = "--data", defaultValue = "${sys:ivbot.home:-.}/models/data/train.tsv", description = "Training TSV (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--dev", defaultValue = "${sys:ivbot.home:-.}/models/data/dev.tsv", description = "Dev TSV for metrics and thresholds, never trained on (default: ${DEFAULT-VALUE}).")
    Path dev;

    @Option(names = "--dialogs", defaultValue = "${sys:ivbot.home:-.}/models/data/train_dialogs.jsonl", description = "Training dialogs (JSONL), trained as sentence pairs with the topic before each turn; with --context topic (default: ${DEFAULT-VALUE}).")
    Path dialogs;

    @Option(names = "--dev-dialogs", defaultValue = "${sys:ivbot.home:-.}/models/data/dialogs.jsonl", description = "Dev dialogs, for the in-context accuracy printed after each epoch, never trained on (default: ${DEFAULT-VALUE}).")
    Path devDialogs;

    @Option(names = "--context", defaultValue = "topic", description = "topic: the model reads the conversation (the session topic's name as segment A of a sentence pair); none: single questions only (default: ${DEFAULT-VALUE}).")
    String context;

    @Option(names = "--out", required = true, description = "Package folder to make; refused if it exists, before training.")
    Path out;

    @Option(names = "--other-out", description = "Also write the same model in the precision not shipped here (for comparisons).")
    Path otherOut;

    @Option(names = "--precision", defaultValue = "int8", description = "Precision the package ships: int8 or fp32 (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--epochs", defaultValue = "4", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "32", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "5e-5", description = "Encoder's peak AdamW learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--head-lr", defaultValue = "2e-3", description = "Head's peak AdamW learning rate (default: ${DEFAULT-VALUE}).")
    double headLr;

    @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--dropout", defaultValue = "0.1", description = "Dropout in training (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the shuffle, the head's initial weights and dropout (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--max-length", defaultValue = "128", description = "Token limit, special tokens included (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--init-head", description = "An ivbot package (head.bin + labels.txt) whose head starts the new one, e.g. models/repository/intent/20261125-1 (default: random).")
    Path initHead;

    @Option(names = "--limit", defaultValue = "0", description = "Train on the first N rows only; 0 = all (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--steps", defaultValue = "0", description = "Stop after N steps; 0 = all epochs (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--djl-cache", description = "DJL's cache folder, where libtorch is extracted (default: $IVBOT_STATE_DIR/djl or ~/.ivbot/djl).")
    Path djlCache;

    /**
     * @param args the command line.
     */
    public static void main(final String[] args)
    {
        final int code = new CommandLine(new FineTuneMain()).setExecutionExceptionHandler((ex, cmd, parsed) ->
        {
            cmd.getErr().println("ivbot fine-tune: " + ex.getMessage());
            return 1;
        }).execute(args);
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception
    {
        final FineTuner.Settings settings = new FineTuner.Settings();
        settings.catalog = catalog;
        settings.trainData = data;
        settings.devData = dev;
        if (!"topic".equals(context) && !"none".equals(context))
        {
            throw new IllegalArgumentException("--context=" + context + " (expected: topic or none)");
        }
        settings.context = "topic".equals(context);
        settings.dialogs = dialogs;
        settings.devDialogs = devDialogs;
        settings.out = out;
        settings.otherOut = otherOut;
        settings.precision = precision;
        settings.epochs = epochs;
        settings.batchSize = batch;
        settings.learningRate = lr;
        settings.headLearningRate = headLr;
        settings.weightDecay = weightDecay;
        settings.dropout = dropout;
        settings.seed = seed;
        settings.maxLength = maxLength;
        settings.initHead = initHead;
        settings.limit = limit;
        settings.maxSteps = steps;
        settings.check();
        DjlEnvironment.configure(djlCache != null ? djlCache : DjlEnvironment.defaultCacheDir());
        FineTuner.run(settings, System.out::println);
        return 0;
    }
}
