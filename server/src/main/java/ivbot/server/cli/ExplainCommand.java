package ivbot.server.cli;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import ivbot.codec.ChatJsonCodec;
import ivbot.inference.TextNormalizer;
import ivbot.inference.model.Prediction;
import ivbot.proto.Explanation;
import ivbot.server.explain.ExplainModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ivbot explain --package DIR [--runs N] QUERY...}: prints each query's explanation as a chat reply's
 * {@code explanation} would carry it, then measures what one costs: the median of {@code --runs} explanations
 * and of as many single-query predictions of the same package, interleaved (one of each in turn, so that both
 * see the same machine), on the explainer's settings (one ONNX Runtime thread).
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
    description = "Explain queries with a model package and measure the cost of an explanation.")
final class ExplainCommand implements Callable<Integer>
{
    private static final int WARMUP = 5;

    @Option(names = "--package", required = true, description = "The model package folder.")
    Path pkg;

    @Option(names = "--context", description = "Segment A (the session topic's Chinese name, e.g. 年假) for a model that reads context.")
    String context;

    @Option(names = "--runs", defaultValue = "50", description = "Timed explanations (and predictions) per query; 0 = only print (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads, as the server's explainer (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--catalog", defaultValue = "${sys:ivbot.home:-.}/models/catalog.json", description = "The label set, for a package that carries none (default: ${DEFAULT-VALUE}).")
    java.nio.file.Path catalog;

    @Parameters(description = "Queries (default: a few typical ones).")
    List<String> queries;

    @Override
    public Integer call() throws Exception
    {
        InputFiles.requireReadable("--package", pkg);
        final List<String> asked = queries == null || queries.isEmpty() ?
            List.of("年假有几天", "病假工资怎么算", "公积金比例多少", "试用期可以请婚假吗", "校招生能落户吗") : queries;
        try (ExplainModel model = ExplainModel.load(pkg, ivbot.inference.IntentCatalog.load(catalog), "cpu",
            Math.max(1, threads), 16))
        {
            System.out.println("package " + model.version() + (model.hasIndex() ? "" : " (no question index)"));
            for (final String query : asked)
            {
                final ByteBuf json = Unpooled.buffer();
                ChatJsonCodec.writeExplanation(model.explain(context, query, null), json);
                System.out.println(query + "\t" + json.toString(StandardCharsets.UTF_8));
                json.release();
            }
            if (runs > 0)
            {
                measure(model, asked);
            }
        }
        return 0;
    }

    private void measure(final ExplainModel model, final List<String> asked) throws Exception
    {
        final Prediction[] out = new Prediction[1];
        final List<String> contexts = Arrays.asList(context);
        final long[] explainNs = new long[runs * asked.size()];
        final long[] predictNs = new long[explainNs.length];
        int tokens = 0;
        for (int run = -WARMUP; run < runs; run++)
        {
            for (int q = 0; q < asked.size(); q++)
            {
                final String query = asked.get(q);
                final long t0 = System.nanoTime();
                // what the inference agent does for one query: normalise, one predict call
                model.model().predict(contexts, List.of(TextNormalizer.normalize(query)), out);
                final long t1 = System.nanoTime();
                final Explanation explanation = model.explain(context, query, null);
                final long t2 = System.nanoTime();
                if (run >= 0)
                {
                    predictNs[run * asked.size() + q] = t1 - t0;
                    explainNs[run * asked.size() + q] = t2 - t1;
                    tokens += explanation.getSaliencyCount();
                }
            }
        }
        final double explainMs = median(explainNs) / 1e6;
        final double predictMs = median(predictNs) / 1e6;
        System.out.println(String.format(Locale.ROOT,
            "explain: median %.2f ms, p90 %.2f ms; predict (one query): median %.3f ms; ratio %.1fx; " +
                "%.1f masked copies a query; %d runs x %d queries, interleaved, %d ONNX Runtime thread(s)",
            explainMs, percentile(explainNs, 0.9) / 1e6, predictMs, explainMs / predictMs,
            tokens / (double)explainNs.length, runs, asked.size(), Math.max(1, threads)));
    }

    private static double median(final long[] values)
    {
        return percentile(values, 0.5);
    }

    private static double percentile(final long[] values, final double p)
    {
        final long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int)Math.floor(p * sorted.length))];
    }
}
