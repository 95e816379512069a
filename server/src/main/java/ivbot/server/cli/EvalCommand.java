package ivbot.server.cli;

import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.eval.ClassificationReport;
import ivbot.inference.rules.RuleMatch;
import ivbot.inference.train.ThresholdCalibration;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.rules.RuleClassifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import ivbot.inference.TextNormalizer;
import ivbot.inference.model.IntentModel;
import ivbot.inference.model.ModelPackage;
import ivbot.inference.model.Prediction;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.Callable;

/**
 * {@code ivbot eval --data FILE [--classifier rules|model]}: per-intent precision and recall on a labelled
 * TSV file; the last line is exactly {@code accuracy=A macro_f1=F n=N}.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate intent classification on a labelled TSV file.")
final class EvalCommand implements Callable<Integer>
{
    @Option(names = "--data", required = true, description = "TSV with header text<TAB>intent<TAB>audience.")
    Path data;

    @Option(names = "--classifier", defaultValue = "rules", description = "rules, model (alone) or served (what a request gets: rules first where confident, then the model above its threshold, else the rules or a clarifying question, counted as the catalog's fallback intent) (default: ${DEFAULT-VALUE}).")
    String classifier;

    @Option(names = "--report", description = "Also write report.json and report.md (per intent precision, recall, F1, support, and the confusion matrix) into this folder.")
    Path reportDir;

    @Option(names = "--model", description = "Model package folder (default: the newest version in --model-repository).")
    Path model;

    @Option(names = "--model-repository", defaultValue = "${sys:ivbot.home:-.}/models/repository/intent",
        description = "Folder of model versions (default: ${DEFAULT-VALUE}).")
    Path repository;

    @Option(names = "--catalog", defaultValue = "${sys:ivbot.home:-.}/models/catalog.json", description = "Intent catalog of the rules and of a package that carries none; a package's own catalog.json wins (default: ${DEFAULT-VALUE}).")
    Path catalog;

    @Option(names = "--rules", description = "Rule file (default: the built-in rules).")
    Path rulesFile;

    @Option(names = "--device", defaultValue = "cpu", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() throws Exception
    {
        InputFiles.requireReadable("--data", data);
        InputFiles.requireReadable("--model", model);
        if (!"rules".equals(classifier) && !"model".equals(classifier) && !"served".equals(classifier))
        {
            System.err.println("--classifier=" + classifier + " (expected: rules, model or served)");
            return 2;
        }
        InputFiles.requireReadable("--catalog", catalog);
        InputFiles.requireReadable("--rules", rulesFile);
        final IntentCatalog base = IntentCatalog.load(catalog);
        final Path dir = "rules".equals(classifier) ? null : model != null ? model : newestVersion(repository);
        final IntentCatalog labels = dir == null ? base : ModelPackage.catalogOf(dir, base);
        final RuleClassifier rules = RuleClassifier.loadOrDefault(rulesFile, labels);
        final List<LabelledQuery> rows = LabelledQuery.readTsv(data, labels);
        final ClassificationReport report = new ClassificationReport(labels);
        if (dir == null)
        {
            for (final LabelledQuery row : rows)
            {
                final Intent predicted = rules.classify(row.text()).intent();
                report.add(row.intent(), predicted == null ? labels.fallback() : predicted);
            }
        }
        else
        {
            try (IntentModel intentModel = ModelPackage.load(dir, base, device, Math.max(1, Runtime.getRuntime().availableProcessors()), 32))
            {
                System.out.println("model " + intentModel.version() + " on " + intentModel.device());
                final Prediction[] out = new Prediction[32];
                for (int start = 0; start < rows.size(); start += 32)
                {
                    final List<LabelledQuery> slice = rows.subList(start, Math.min(rows.size(), start + 32));
                    final List<String> texts = new ArrayList<>(slice.size());
                    for (final LabelledQuery row : slice)
                    {
                        texts.add(TextNormalizer.normalize(row.text()));
                    }
                    intentModel.predict(texts, out);
                    for (int i = 0; i < slice.size(); i++)
                    {
                        final Intent answered;
                        if ("served".equals(classifier))
                        {
                            final RuleMatch match = rules.classifyNormalized(texts.get(i));
                            answered = ThresholdCalibration.decide(match.intent(), match.confidence(), out[i].intent(),
                                out[i].confidence(), intentModel.threshold(), intentModel.rulesThreshold(), labels.fallback());
                        }
                        else
                        {
                            answered = out[i].intent();
                        }
                        report.add(slice.get(i).intent(), answered);
                    }
                }
            }
        }
        if (reportDir != null)
        {
            Files.createDirectories(reportDir);
            Files.writeString(reportDir.resolve("report.json"), report.toJson(classifier));
            Files.writeString(reportDir.resolve("report.md"), report.toMarkdown(classifier));
            System.out.println("report: " + reportDir.resolve("report.json") + ", " + reportDir.resolve("report.md"));
        }
        System.out.println(report.format());
        return 0;
    }

    static Path newestVersion(final Path repository) throws IOException
    {
        try (Stream<Path> entries = Files.list(repository))
        {
            return entries.filter(Files::isDirectory)
                .filter(p -> !p.getFileName().toString().startsWith("."))
                .max(Comparator.naturalOrder())
                .orElseThrow(() -> new IOException("no model version in " + repository));
        }
    }
}
