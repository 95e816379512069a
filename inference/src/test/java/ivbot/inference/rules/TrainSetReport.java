package ivbot.inference.rules;

import ivbot.inference.model.Models;
import ivbot.inference.Audience;
import ivbot.inference.Intent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tuning aid, not a test: prints accuracy, macro-F1 and the misclassified rows of
 * {@link RuleClassifier#classify(String)} on a labelled TSV ({@code text<TAB>intent<TAB>audience}, with a
 * header). A {@code null} intent counts as {@code out_of_scope}. Point it only at training data; the
 * held-out files must not steer the rules.
 * <pre>
 *   java -cp inference/target/classes:inference/target/test-classes \
 *       ivbot.inference.rules.TrainSetReport models/data/train.tsv [maxErrorsShown]
 * </pre>
 */
public final class TrainSetReport
{
    private TrainSetReport()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final Path path = Path.of(args.length > 0 ? args[0] : "models/data/train.tsv");
        final int maxErrors = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        final List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        final RuleClassifier classifier = RuleClassifier.loadDefault(Models.catalog());

        final int n = Models.catalog().size();
        final int[] truePositives = new int[n];
        final int[] goldCount = new int[n];
        final int[] predictedCount = new int[n];
        final Map<String, Integer> confusions = new TreeMap<>();
        final List<String> errors = new ArrayList<>();
        int rows = 0;
        int correct = 0;
        double correctConfidence = 0;
        double wrongConfidence = 0;
        int audienceRows = 0;
        int audienceCorrect = 0;
        for (int i = 1; i < lines.size(); i++)
        {
            final String[] fields = lines.get(i).split("\t", -1);
            if (fields.length < 2)
            {
                continue;
            }
            final Intent gold = Models.catalog().fromId(fields[1].strip());
            if (gold == null)
            {
                continue;
            }
            final Audience goldAudience = fields.length > 2 ? Audience.fromId(fields[2].strip()) : null;
            final RuleMatch match = classifier.classify(fields[0]);
            final Intent predicted = match.intent() == null ? Models.intent("out_of_scope") : match.intent();
            rows++;
            goldCount[gold.index()]++;
            predictedCount[predicted.index()]++;
            if (predicted == gold)
            {
                correct++;
                truePositives[gold.index()]++;
                correctConfidence += match.confidence();
            }
            else
            {
                wrongConfidence += match.confidence();
                confusions.merge(gold.id() + " -> " + predicted.id(), 1, Integer::sum);
                errors.add(gold.id() + "\t" + predicted.id() + "\t" + fields[0]);
            }
            audienceRows++;
            if (goldAudience == match.audience())
            {
                audienceCorrect++;
            }
            else
            {
                errors.add("AUD " + goldAudience + "\t" + match.audience() + "\t" + fields[0]);
            }
        }

        double f1Sum = 0;
        int labels = 0;
        final StringBuilder perIntent = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            if (goldCount[i] == 0 && predictedCount[i] == 0)
            {
                continue;
            }
            final double precision = predictedCount[i] == 0 ? 0 : truePositives[i] / (double)predictedCount[i];
            final double recall = goldCount[i] == 0 ? 0 : truePositives[i] / (double)goldCount[i];
            final double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            f1Sum += f1;
            labels++;
            perIntent.append(String.format("%-18s gold=%4d pred=%4d P=%.3f R=%.3f F1=%.3f%n",
                Models.catalog().fromIndex(i).id(), goldCount[i], predictedCount[i], precision, recall, f1));
        }

        errors.stream().limit(maxErrors).forEach(System.out::println);
        System.out.println();
        confusions.entrySet().stream()
            .sorted((a, b) -> b.getValue() - a.getValue())
            .limit(40)
            .forEach(e -> System.out.println(e.getValue() + "\t" + e.getKey()));
        System.out.println();
        System.out.print(perIntent);
        System.out.printf("rows=%d accuracy=%.4f macroF1=%.4f audienceAccuracy=%.4f%n",
            rows, correct / (double)rows, f1Sum / labels, audienceCorrect / (double)audienceRows);
        System.out.printf("mean confidence: correct %.3f, wrong %.3f%n",
            correctConfidence / Math.max(1, correct), wrongConfidence / Math.max(1, rows - correct));
        timing(classifier, lines);
    }

    private static void timing(final RuleClassifier classifier, final List<String> lines)
    {
        final List<String> texts = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++)
        {
            texts.add(lines.get(i).split("\t", -1)[0]);
        }
        if (texts.isEmpty())
        {
            return;
        }
        long sink = 0;
        final long warmUpEndNs = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < warmUpEndNs)
        {
            for (final String text : texts)
            {
                sink += classifier.classify(text).hashCode();
            }
        }
        final int rounds = Math.max(1, 200_000 / texts.size());
        final long start = System.nanoTime();
        for (int round = 0; round < rounds; round++)
        {
            for (final String text : texts)
            {
                sink += classifier.classify(text).hashCode();
            }
        }
        System.out.printf("mean classify %.2f us over %d texts x %d rounds (sink %d)%n",
            (System.nanoTime() - start) / 1000.0 / texts.size() / rounds, texts.size(), rounds, sink & 1);
    }
}
