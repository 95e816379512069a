package ivbot.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.ClassificationReport;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.model.Encoder;
import ivbot.inference.model.IntentModel;
import ivbot.inference.model.ModelPackage;
import ivbot.inference.model.Prediction;
import ivbot.inference.rules.RuleClassifier;
import ivbot.inference.train.ThresholdCalibration;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Writes a fine-tuned model as an exported package, the form {@link ModelPackage#load} serves without the
 * encoder jars' help:
 * <pre>
 *   model.onnx     the fine-tuned encoder + CLS pooling + L2 norm + head; output "logits" [B, labels];
 *                  int8 (see {@link Int8Quantizer}) or fp32, as manifest.json's "precision" says
 *   labels.txt     one intent id a line, in logit order
 *   catalog.json   the catalog the labels are of ({@link IntentCatalog})
 *   tokenizer.json the encoder's WordPiece tokenizer, unchanged
 *   manifest.json  {"format": 1, "precision": "int8", "fine_tuned_from": "bge-small-zh-v1.5",
 *                   "max_length": 128, "threshold": T, "rules_threshold": R}
 *   metrics.json   dev accuracy and macro-F1 of both precisions, their argmax agreement, training figures
 * </pre>
 * Both precisions are measured on the dev set through {@link ModelPackage#load} (ONNX Runtime, as served);
 * the thresholds are calibrated ({@link ThresholdCalibration}) on the shipped precision's predictions.
 * The package is written into a hidden sibling folder and renamed into place, so a repository watcher never
 * sees half of it.
 */
final class ExportedPackage
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String TOKENIZER_RESOURCE = "/bge-small-zh-v1.5-tokenizer.json";
    private static final int BATCH = 32;

    private ExportedPackage()
    {
    }

    /**
     * @param settings the run's settings ({@code out}, {@code otherOut}, {@code precision}, training figures).
     * @param fp32     the fine-tuned fp32 model with its logits output.
     * @param catalog  the label set: its intents in index order are the logits.
     * @param dev      the dev rows.
     * @param nTrain   the number of training rows.
     * @param result   what training measured.
     * @param log      receives the report.
     * @return the shipped package's metrics.
     * @throws IOException when a file cannot be written or ONNX Runtime refuses a model.
     */
    static ObjectNode write(final FineTuner.Settings settings, final byte[] fp32, final IntentCatalog catalog,
        final List<LabelledQuery> dev, final int nTrain, final FineTuner.TrainingResult result, final Consumer<String> log)
        throws IOException
    {
        final byte[] int8 = Int8Quantizer.quantize(fp32);
        final boolean shipInt8 = "int8".equals(settings.precision);
        final Path staging = staging(settings.out);
        writeCommon(staging, catalog);
        Files.write(staging.resolve(ModelPackage.MODEL), fp32);
        final Evaluation fp32Eval = evaluate(staging, catalog, dev);
        Files.write(staging.resolve(ModelPackage.MODEL), int8);
        final Evaluation int8Eval = evaluate(staging, catalog, dev);
        int agree = 0;
        for (int i = 0; i < dev.size(); i++)
        {
            agree += fp32Eval.predicted[i].equals(int8Eval.predicted[i]) ? 1 : 0;
        }
        final double agreement = agree / (double)Math.max(1, dev.size());
        log.accept("fp32 on dev: " + fp32Eval.report.summaryLine());
        log.accept("int8 on dev: " + int8Eval.report.summaryLine());
        log.accept(String.format(Locale.ROOT, "int8/fp32 argmax agreement %.4f (%d/%d); model.onnx int8 %.1f MB, fp32 %.1f MB",
            agreement, agree, dev.size(), int8.length / 1e6, fp32.length / 1e6));

        final Evaluation shipped = shipInt8 ? int8Eval : fp32Eval;
        final ThresholdCalibration calibration = ThresholdCalibration.calibrate(
            dev, shipped.predicted, shipped.confidence, RuleClassifier.loadDefault(catalog));
        log.accept(shipped.report.format());
        log.accept(String.format(Locale.ROOT,
            "threshold=%.2f rules_threshold=%.2f: hybrid dev accuracy %.4f (model alone %.4f, rules alone %.4f)",
            calibration.threshold(), calibration.rulesThreshold(), calibration.hybridAccuracy(),
            shipped.report.accuracy(), calibration.rulesAccuracy()));

        final ObjectNode metrics = MAPPER.createObjectNode()
            .put("accuracy", round(shipped.report.accuracy()))
            .put("macro_f1", round(shipped.report.macroF1()))
            .put("precision", settings.precision)
            .put("fp32_accuracy", round(fp32Eval.report.accuracy()))
            .put("fp32_macro_f1", round(fp32Eval.report.macroF1()))
            .put("int8_accuracy", round(int8Eval.report.accuracy()))
            .put("int8_macro_f1", round(int8Eval.report.macroF1()))
            .put("int8_fp32_argmax_agreement", round(agreement))
            .put("threshold", calibration.threshold())
            .put("rules_threshold", calibration.rulesThreshold())
            .put("hybrid_accuracy", round(calibration.hybridAccuracy()))
            .put("rules_accuracy", round(calibration.rulesAccuracy()))
            .put("n_train", nTrain)
            .put("n_dev", dev.size())
            .put("fine_tuned_from", Encoder.BGE_SMALL_ZH_FP32.id())
            .put("epochs", settings.epochs)
            .put("steps", result.steps())
            .put("batch", settings.batchSize)
            .put("learning_rate", settings.learningRate)
            .put("head_learning_rate", settings.headLearningRate)
            .put("weight_decay", settings.weightDecay)
            .put("dropout", settings.dropout)
            .put("seed", settings.seed)
            .put("max_length", settings.maxLength)
            .put("seconds_per_epoch", Math.round(result.secondsPerEpoch() * 10) / 10.0)
            .put("train_loss", round(result.trainLoss()));
        finish(staging, settings.out, shipInt8 ? int8 : fp32, settings, calibration, metrics);
        log.accept("wrote " + settings.out + " (" + settings.precision + ")");
        if (settings.otherOut != null)
        {
            final String other = shipInt8 ? "fp32" : "int8";
            final Path otherStaging = staging(settings.otherOut);
            writeCommon(otherStaging, catalog);
            final Evaluation otherEval = shipInt8 ? fp32Eval : int8Eval;
            final ObjectNode otherMetrics = metrics.deepCopy()
                .put("accuracy", round(otherEval.report.accuracy()))
                .put("macro_f1", round(otherEval.report.macroF1()))
                .put("precision", other);
            final FineTuner.Settings otherSettings = new FineTuner.Settings();
            otherSettings.precision = other;
            otherSettings.maxLength = settings.maxLength;
            otherSettings.context = settings.context;
            finish(otherStaging, settings.otherOut, shipInt8 ? fp32 : int8, otherSettings, calibration, otherMetrics);
            log.accept("wrote " + settings.otherOut + " (" + other + ", thresholds of the shipped precision)");
        }
        return metrics;
    }

    private record Evaluation(ClassificationReport report, Intent[] predicted, float[] confidence)
    {
    }

    private static Evaluation evaluate(final Path dir, final IntentCatalog catalog, final List<LabelledQuery> dev)
        throws IOException
    {
        final ClassificationReport report = new ClassificationReport(catalog);
        final Intent[] predicted = new Intent[dev.size()];
        final float[] confidence = new float[dev.size()];
        try (IntentModel model = ModelPackage.load(dir, catalog, "cpu", Math.max(1, Runtime.getRuntime().availableProcessors()), BATCH))
        {
            final Prediction[] out = new Prediction[BATCH];
            for (int start = 0; start < dev.size(); start += BATCH)
            {
                final List<LabelledQuery> slice = dev.subList(start, Math.min(dev.size(), start + BATCH));
                final List<String> texts = new ArrayList<>(slice.size());
                for (final LabelledQuery row : slice)
                {
                    texts.add(TextNormalizer.normalize(row.text()));
                }
                model.predict(texts, out);
                for (int i = 0; i < slice.size(); i++)
                {
                    predicted[start + i] = out[i].intent();
                    confidence[start + i] = out[i].confidence();
                    report.add(slice.get(i).intent(), out[i].intent());
                }
            }
        }
        catch (final IOException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new IOException("evaluating " + dir + ": " + ex.getMessage(), ex);
        }
        return new Evaluation(report, predicted, confidence);
    }

    private static Path staging(final Path out) throws IOException
    {
        final Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        final Path staging = parent.resolve("." + out.getFileName() + ".tmp");
        if (Files.exists(staging))
        {
            try (Stream<Path> files = Files.walk(staging))
            {
                for (final Path file : (Iterable<Path>)files.sorted(Comparator.reverseOrder())::iterator)
                {
                    Files.delete(file);
                }
            }
        }
        Files.createDirectories(staging);
        return staging;
    }

    private static void writeCommon(final Path staging, final IntentCatalog catalog) throws IOException
    {
        final StringBuilder text = new StringBuilder();
        for (final Intent label : catalog.intents())
        {
            text.append(label.id()).append('\n');
        }
        Files.writeString(staging.resolve(ModelPackage.LABELS), text, StandardCharsets.UTF_8);
        catalog.write(staging.resolve(IntentCatalog.FILE));
        try (InputStream in = Encoder.class.getResourceAsStream(TOKENIZER_RESOURCE))
        {
            if (in == null)
            {
                throw new IOException("classpath resource " + TOKENIZER_RESOURCE + " not found (is the langchain4j bge carrier jar on the classpath?)");
            }
            Files.copy(in, staging.resolve(ModelPackage.TOKENIZER));
        }
    }

    private static void finish(final Path staging, final Path out, final byte[] model, final FineTuner.Settings settings,
        final ThresholdCalibration calibration, final ObjectNode metrics) throws IOException
    {
        Files.write(staging.resolve(ModelPackage.MODEL), model);
        final ObjectNode manifest = MAPPER.createObjectNode()
            .put("format", 1)
            .put("precision", settings.precision)
            .put("fine_tuned_from", Encoder.BGE_SMALL_ZH_FP32.id())
            .put("max_length", settings.maxLength)
            .put("threshold", calibration.threshold())
            .put("rules_threshold", calibration.rulesThreshold());
        if (settings.context)
        {
            manifest.put("context", ModelPackage.CONTEXT_TOPIC);
        }
        MAPPER.writerWithDefaultPrettyPrinter().writeValue(staging.resolve(ModelPackage.MANIFEST).toFile(), manifest);
        MAPPER.writerWithDefaultPrettyPrinter().writeValue(staging.resolve(ModelPackage.METRICS).toFile(), metrics);
        Files.move(staging, out, StandardCopyOption.ATOMIC_MOVE);
    }

    private static double round(final double value)
    {
        return Math.round(value * 10_000.0) / 10_000.0;
    }
}
