package ivbot.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.model.Encoder;
import ivbot.inference.model.ModelPackage;
import ivbot.inference.model.QuestionIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ivbot index --package DIR [--data FILE]}: adds the training questions' {@link QuestionIndex} (the
 * nearest questions of an explanation) to an existing package, as {@code ivbot train} writes it into a new
 * one. The vectors come from the package's own base encoder (its manifest's {@code encoder}), else from
 * {@code --precision}'s.
 */
@Command(name = "index", mixinStandardHelpOptions = true,
    description = "Add the training questions' index (for explanations) to a model package.")
final class IndexCommand implements Callable<Integer>
{
    @Option(names = "--package", required = true, description = "The model package folder.")
    Path pkg;

    @Option(names = "--data", defaultValue = "${sys:ivbot.home:-.}/models/data/train.tsv", description = "The questions the package was trained on (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--precision", defaultValue = "int8", description = "Base encoder when the manifest names none (an exported package): int8 or fp32 (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--catalog", defaultValue = "${sys:ivbot.home:-.}/models/catalog.json", description = "The label set, for a package that carries none (default: ${DEFAULT-VALUE}).")
    java.nio.file.Path catalog;

    @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads, 0 = cores (default: ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public Integer call() throws Exception
    {
        InputFiles.requireReadable("--package", pkg);
        InputFiles.requireReadable("--data", data);
        final Encoder encoder = encoder();
        final List<LabelledQuery> rows = LabelledQuery.readTsv(data,
            ModelPackage.catalogOf(pkg, ivbot.inference.IntentCatalog.load(catalog)));
        final long startNs = System.nanoTime();
        final QuestionIndex index = QuestionIndex.embed(encoder, rows, "cpu",
            threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors()));
        index.write(pkg);
        System.out.println(String.format(Locale.ROOT, "indexed %d questions with %s in %.1f s: %s (%d bytes), %s",
            index.size(), encoder.id(), (System.nanoTime() - startNs) / 1e9, pkg.resolve(QuestionIndex.VECTORS),
            Files.size(pkg.resolve(QuestionIndex.VECTORS)), pkg.resolve(QuestionIndex.TEXTS)));
        return 0;
    }

    private Encoder encoder() throws java.io.IOException
    {
        final Path manifest = pkg.resolve(ModelPackage.MANIFEST);
        final String id = Files.exists(manifest) ?
            new ObjectMapper().readTree(manifest.toFile()).path("encoder").asText("") : "";
        return id.isEmpty() ? Encoder.forPrecision(precision) : Encoder.fromId(id);
    }
}
