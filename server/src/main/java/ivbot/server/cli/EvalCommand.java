package ivbot.server.cli;

import ivbot.inference.Intent;
import ivbot.inference.eval.ClassificationReport;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.rules.RuleClassifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
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

    @Option(names = "--classifier", defaultValue = "rules", description = "rules or model (default: ${DEFAULT-VALUE}).")
    String classifier;

    @Override
    public Integer call() throws Exception
    {
        if (!"rules".equals(classifier))
        {
            System.err.println("--classifier=" + classifier + " (expected: rules; no model package is installed)");
            return 2;
        }
        final RuleClassifier rules = RuleClassifier.loadDefault();
        final ClassificationReport report = new ClassificationReport();
        for (final LabelledQuery row : LabelledQuery.readTsv(data))
        {
            final Intent predicted = rules.classify(row.text()).intent();
            report.add(row.intent(), predicted == null ? Intent.OUT_OF_SCOPE : predicted);
        }
        System.out.println(report.format());
        return 0;
    }
}
