package ivbot.inference.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.ClassificationReport;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.model.Embedder;
import ivbot.inference.model.Encoder;
import ivbot.inference.model.ModelPackage;
import ivbot.inference.model.QuestionIndex;
import ivbot.inference.rules.RuleClassifier;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * {@code ivbot train}: embeds the training questions with the encoder, trains a softmax head on the
 * L2-normalised CLS vectors, measures it on the dev set, calibrates the confidence threshold on the dev
 * set, and writes a model package with the training questions' {@link QuestionIndex}. The dev set is never
 * trained on.
 * <p>
 * The label set is a catalog ({@code --catalog}): the head has one row per catalog intent, in index order,
 * every label of the training and dev TSVs must be one of its ids, and the package carries a copy of it.
 */
public final class IntentTrainer
{
    /**
     * Training settings: documented name/default pairs.
     */
    public static final class Settings
    {
        /** {@code --catalog}: the label set. */
        public Path catalog = Path.of("models/catalog.json");
        /** {@code --rules}: the rule file calibrated against; {@code null}: the built-in rules. */
        public Path rules;
        /** {@code --data}: training TSV. */
        public Path trainData = Path.of("models/data/train.tsv");
        /** {@code --dev}: dev TSV, for metrics and the threshold only. */
        public Path devData = Path.of("models/data/dev.tsv");
        /** {@code --out}: the package folder to write. */
        public Path out;
        /** {@code --precision}: int8 or fp32 encoder. */
        public String precision = "int8";
        /** {@code --device}: auto, cpu, cuda[:N]. */
        public String device = "cpu";
        /** {@code --threads}: ONNX Runtime intra-op threads. */
        public int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        /** {@code --epochs}. */
        public int epochs = 100;
        /** {@code --batch-size}. */
        public int batchSize = 32;
        /** {@code --lr}. */
        public double learningRate = 0.01;
        /** {@code --l2}. */
        public double l2 = 1e-5;
        /** {@code --seed}. */
        public long seed = 42;
        /** {@code --max-length}: token limit. */
        public int maxLength = 128;
    }

    private IntentTrainer()
    {
    }

    /**
     * Trains and writes a package.
     *
     * @param settings the settings; {@code out} must be set and must not exist.
     * @param log      receives progress lines.
     * @return the metrics written to {@code metrics.json}.
     * @throws Exception when data, encoder or output fail.
     */
    public static ObjectNode train(final Settings settings, final Consumer<String> log) throws Exception
    {
        if (settings.out == null)
        {
            throw new IllegalArgumentException("--out is required");
        }
        final IntentCatalog catalog = IntentCatalog.load(settings.catalog);
        final RuleClassifier rules = RuleClassifier.loadOrDefault(settings.rules, catalog);
        final List<LabelledQuery> train = LabelledQuery.readTsv(settings.trainData, catalog);
        final List<LabelledQuery> dev = LabelledQuery.readTsv(settings.devData, catalog);
        final Encoder encoder = Encoder.forPrecision(settings.precision);
        final Intent[] labels = catalog.intents().toArray(new Intent[0]);

        final long t0 = System.nanoTime();
        final float[][] xTrain;
        final float[][] xDev;
        final String device;
        try (Embedder embedder = ModelPackage.openEmbedder(encoder, settings.device, settings.threads, 32, settings.maxLength))
        {
            device = embedder.device();
            xTrain = embedder.embed(normalized(train));
            xDev = embedder.embed(normalized(dev));
        }
        log.accept(String.format(Locale.ROOT, "embedded %d train and %d dev questions with %s on %s in %.1f s",
            train.size(), dev.size(), encoder.id(), device, (System.nanoTime() - t0) / 1e9));

        final int[] yTrain = classIndexes(train);
        final SoftmaxRegression head = new SoftmaxRegression(labels.length, xTrain[0].length);
        final long t1 = System.nanoTime();
        final double loss = head.fit(xTrain, yTrain, settings.epochs, settings.batchSize, settings.learningRate,
            settings.l2, settings.seed);
        log.accept(String.format(Locale.ROOT, "trained %d epochs in %.1f s, final train loss %.4f",
            settings.epochs, (System.nanoTime() - t1) / 1e9, loss));

        final double[] p = new double[labels.length];
        final Intent[] predicted = new Intent[dev.size()];
        final float[] confidence = new float[dev.size()];
        final ClassificationReport report = new ClassificationReport(catalog);
        for (int i = 0; i < dev.size(); i++)
        {
            head.probabilities(xDev[i], p);
            int best = 0;
            for (int c = 1; c < p.length; c++)
            {
                best = p[c] > p[best] ? c : best;
            }
            predicted[i] = labels[best];
            confidence[i] = (float)p[best];
            report.add(dev.get(i).intent(), predicted[i]);
        }
        final ThresholdCalibration calibration = ThresholdCalibration.calibrate(
            dev, predicted, confidence, rules);
        log.accept(report.format());
        log.accept(String.format(Locale.ROOT,
            "threshold=%.2f rules_threshold=%.2f: hybrid dev accuracy %.4f (model alone %.4f, rules alone %.4f)",
            calibration.threshold(), calibration.rulesThreshold(), calibration.hybridAccuracy(), report.accuracy(),
            calibration.rulesAccuracy()));

        final ObjectNode metrics = new ObjectMapper().createObjectNode()
            .put("accuracy", round(report.accuracy()))
            .put("macro_f1", round(report.macroF1()))
            .put("threshold", calibration.threshold())
            .put("rules_threshold", calibration.rulesThreshold())
            .put("hybrid_accuracy", round(calibration.hybridAccuracy()))
            .put("rules_accuracy", round(calibration.rulesAccuracy()))
            .put("n_intents", catalog.size())
            .put("n_train", train.size())
            .put("n_dev", dev.size())
            .put("encoder", encoder.id())
            .put("epochs", settings.epochs)
            .put("learning_rate", settings.learningRate)
            .put("l2", settings.l2)
            .put("seed", settings.seed)
            .put("train_loss", round(loss));
        // the training questions' vectors, kept for the nearest questions of an explanation
        ModelPackage.write(settings.out, encoder, catalog, head.weights(), head.bias(), settings.maxLength,
            calibration.threshold(), calibration.rulesThreshold(), metrics, QuestionIndex.of(encoder.id(), train, xTrain));
        log.accept("wrote " + settings.out);
        return metrics;
    }

    private static double round(final double value)
    {
        return Math.round(value * 10_000.0) / 10_000.0;
    }

    private static List<String> normalized(final List<LabelledQuery> rows)
    {
        final List<String> texts = new ArrayList<>(rows.size());
        for (final LabelledQuery row : rows)
        {
            texts.add(TextNormalizer.normalize(row.text()));
        }
        return texts;
    }

    private static int[] classIndexes(final List<LabelledQuery> rows)
    {
        final int[] y = new int[rows.size()];
        for (int i = 0; i < y.length; i++)
        {
            y[i] = rows.get(i).intent().index();
        }
        return y;
    }
}
