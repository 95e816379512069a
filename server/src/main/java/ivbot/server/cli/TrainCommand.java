package ivbot.server.cli;

import ivbot.inference.train.IntentTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code ivbot train --data FILE --out models/repository/intent/<version>/}: trains the intent head and
 * writes a model package (see the README's "Model packages"). The label set is the catalog
 * ({@code --catalog}): any TSV whose labels are ids of it trains, and the package carries a copy of it.
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train the intent head and write a model package.")
final class TrainCommand implements Callable<Integer>
{
    @Option(names = "--catalog", defaultValue = "${sys:ivbot.home:-.}/models/catalog.json", description = "Intent catalog: the label set; every TSV label must be one of its ids, and the package carries a copy (default: ${DEFAULT-VALUE}).")
    Path catalog;

    @Option(names = "--rules", description = "Rule file the thresholds are calibrated with (default: the built-in rules).")
    Path rules;

    @Option(names = "--data", defaultValue = "${sys:ivbot.home:-.}/models/data/train.tsv", description = "Training TSV (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--dev", defaultValue = "${sys:ivbot.home:-.}/models/data/dev.tsv", description = "Dev TSV for metrics and the threshold, never trained on (default: ${DEFAULT-VALUE}).")
    Path dev;

    @Option(names = "--out", required = true, description = "New package folder to write, e.g. models/repository/intent/<yyyymmdd>-<n>/; it must not exist (versions are immutable).")
    Path out;

    @Option(names = "--precision", defaultValue = "int8", description = "Encoder precision: int8 or fp32 (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--device", defaultValue = "cpu", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads, 0 = cores (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--epochs", defaultValue = "100", description = "Training epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--lr", defaultValue = "0.01", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--l2", defaultValue = "1e-5", description = "L2 penalty (default: ${DEFAULT-VALUE}).")
    double l2;

    @Option(names = "--seed", defaultValue = "42", description = "Shuffle seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception
    {
        InputFiles.requireReadable("--catalog", catalog);
        if (rules != null)
        {
            InputFiles.requireReadable("--rules", rules);
        }
        InputFiles.requireReadable("--data", data);
        InputFiles.requireReadable("--dev", dev);
        if (Files.exists(out))
        {
            // checked before training: a version folder is never overwritten
            throw new IllegalArgumentException("--out " + out + ": already exists (package versions are immutable;"
                + " choose a new folder, e.g. " + out.resolveSibling(out.getFileName() + "-2") + ")");
        }
        final IntentTrainer.Settings settings = new IntentTrainer.Settings();
        settings.catalog = catalog;
        settings.rules = rules;
        settings.trainData = data;
        settings.devData = dev;
        settings.out = out;
        settings.precision = precision;
        settings.device = device;
        settings.threads = threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors());
        settings.epochs = epochs;
        settings.learningRate = learningRate;
        settings.l2 = l2;
        settings.seed = seed;
        IntentTrainer.train(settings, System.out::println);
        return 0;
    }
}
