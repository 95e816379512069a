package ivbot.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.model.Encoder;
import ivbot.inference.tokenizer.WordPieceTokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;

/**
 * {@code ivbot fine-tune}: trains every weight of the fp32 bge-small-zh encoder together with a linear
 * head over the intent catalog, on CLS pooling exactly as served (see {@link BertClassifier}), with AdamW,
 * linear warm-up over the first tenth of the steps and linear decay to 0, dropout 0.1; then writes the
 * weights back into the ONNX graph and an exported model package ({@link ExportedPackage}).
 * <p>
 * Reproducible for a given seed and thread count: the shuffle and the head's initial weights come from
 * {@code java.util.Random(seed)}, dropout from the engine's generator seeded with the same seed.
 */
public final class FineTuner
{
    /**
     * Settings: documented name/default pairs, checked by {@link #check()}.
     */
    public static final class Settings
    {
        /** {@code --data}: training TSV. */
        public Path trainData = Path.of("models/data/train.tsv");
        /** {@code --dev}: dev TSV, for metrics and thresholds only; never trained on. */
        public Path devData = Path.of("models/data/dev.tsv");
        /**
         * {@code --dialogs}: training dialogs (JSONL) whose turns are trained as sentence pairs, the session's
         * topic before the turn as segment A; {@code null} for none. Used only with {@link #context}.
         */
        public Path dialogs = Path.of("models/data/train_dialogs.jsonl");
        /** {@code --dev-dialogs}: dev dialogs, for the in-context accuracy printed after each epoch only; {@code null} for none. */
        public Path devDialogs = Path.of("models/data/dialogs.jsonl");
        /**
         * {@code --context topic|none}: {@code topic} trains a model that reads the conversation (the manifest's
         * {@code "context": "topic"}: segment A is the session topic's Chinese name); {@code none} trains on
         * single questions only.
         */
        public boolean context = true;
        /** {@code --catalog}: the label set; the TSVs' labels must be its ids, and the package carries a copy. */
        public Path catalog = Path.of("models/catalog.json");
        /** {@code --out}: the package folder to make; must not exist. */
        public Path out;
        /** {@code --other-out}: optional folder for the same model in the precision not shipped (for comparisons). */
        public Path otherOut;
        /** {@code --precision}: the precision the package ships, int8 or fp32. */
        public String precision = "int8";
        /** {@code --epochs}. */
        public int epochs = 4;
        /** {@code --batch}: examples per step. */
        public int batchSize = 32;
        /** {@code --lr}: the encoder's peak learning rate. */
        public double learningRate = 5e-5;
        /** {@code --head-lr}: the head's peak learning rate. */
        public double headLearningRate = 2e-3;
        /** {@code --weight-decay}: AdamW's decoupled weight decay. */
        public double weightDecay = 0.01;
        /** {@code --dropout}. */
        public double dropout = 0.1;
        /** {@code --seed}. */
        public long seed = 42;
        /** {@code --max-length}: token limit, special tokens included (also written to the manifest). */
        public int maxLength = 128;
        /**
         * {@code --init-head}: an ivbot package (head.bin + labels.txt, e.g. the frozen-encoder package) whose
         * head starts the new one; {@code null} = random, N(0, 0.02). The head sees L2-normalised vectors, so
         * its logits are only as large as its rows: a trained head (rows of norm 20-40) gives the encoder
         * useful gradients from the first step, where a random one needs epochs to grow.
         */
        public Path initHead;
        /** {@code --limit}: train on the first N rows only; 0 = all. */
        public int limit;
        /** {@code --steps}: stop after this many steps; 0 = all epochs (for tests). */
        public int maxSteps;
        /** {@code --dev-limit}: evaluate on the first N dev rows only; 0 = all (for tests). */
        public int devLimit;

        /**
         * @throws IllegalArgumentException naming the setting and its value.
         * @throws java.io.IOException       when {@code out} already exists.
         */
        public void check() throws java.io.IOException
        {
            if (out == null)
            {
                throw new IllegalArgumentException("--out is required");
            }
            for (final Path dir : otherOut == null ? List.of(out) : List.of(out, otherOut))
            {
                if (Files.exists(dir))
                {
                    throw new java.io.IOException("package " + dir + " already exists (versions are immutable: pick a new one)");
                }
            }
            positive("--epochs", epochs);
            positive("--batch", batchSize);
            if (maxLength < 3 || maxLength > 512)
            {
                throw new IllegalArgumentException("--max-length=" + maxLength + " (expected: 3..512)");
            }
            if (!(learningRate > 0) || !(headLearningRate > 0))
            {
                throw new IllegalArgumentException("--lr=" + learningRate + " --head-lr=" + headLearningRate + " (expected: > 0)");
            }
            if (!(dropout >= 0 && dropout < 1))
            {
                throw new IllegalArgumentException("--dropout=" + dropout + " (expected: 0 <= p < 1)");
            }
            if (limit < 0 || maxSteps < 0 || devLimit < 0)
            {
                throw new IllegalArgumentException("--limit=" + limit + " --steps=" + maxSteps + " --dev-limit=" + devLimit
                    + " (expected: >= 0)");
            }
            if (!"int8".equals(precision) && !"fp32".equals(precision))
            {
                throw new IllegalArgumentException("--precision=" + precision + " (expected: int8 or fp32)");
            }
        }

        private static void positive(final String name, final int value)
        {
            if (value <= 0)
            {
                throw new IllegalArgumentException(name + "=" + value + " (expected: > 0)");
            }
        }
    }

    private static final double WARMUP_FRACTION = 0.1;
    private static final double HEAD_INIT_STD = 0.02;
    private static final long PROGRESS_INTERVAL_NS = 10_000_000_000L;

    private FineTuner()
    {
    }

    /**
     * Fine-tunes and writes the package.
     *
     * @param settings the settings; checked first, so that a bad one fails before any training.
     * @param log      receives progress lines.
     * @return the metrics written to {@code metrics.json}.
     * @throws Exception when data, model or output fail.
     */
    public static ObjectNode run(final Settings settings, final Consumer<String> log) throws Exception
    {
        settings.check();
        final IntentCatalog catalog = IntentCatalog.load(settings.catalog);
        List<LabelledQuery> train = LabelledQuery.readTsv(settings.trainData, catalog);
        if (settings.limit > 0 && settings.limit < train.size())
        {
            train = train.subList(0, settings.limit);
        }
        List<LabelledQuery> dev = LabelledQuery.readTsv(settings.devData, catalog);
        if (settings.devLimit > 0 && settings.devLimit < dev.size())
        {
            dev = dev.subList(0, settings.devLimit);
        }
        final Intent[] labels = catalog.intents().toArray(new Intent[0]);
        final List<Example> examples = examples(train, settings.context ? settings.dialogs : null, catalog);
        final List<Example> devTurns = settings.context && settings.devDialogs != null ?
            DialogTurns.read(settings.devDialogs, catalog) : List.of();
        final Encoder encoder = Encoder.BGE_SMALL_ZH_FP32;
        final BertWeights weights = BertWeights.read(encoder.modelBytes());
        final WordPieceTokenizer tokenizer = encoder.tokenizer();

        final float[][] head = initialHead(settings, catalog, weights.hidden());
        final int steps = stepsToRun(settings, examples.size());
        final long t0 = System.nanoTime();
        final TrainingResult result;
        try (NDManager root = NDManager.newBaseManager();
             BertClassifier model = new BertClassifier(root, weights, head[0], head[1]))
        {
            Engine.getInstance().setRandomSeed((int)settings.seed);
            log.accept(String.format(Locale.ROOT,
                "fine-tuning %s (%d layers, all trainable) on %d examples (%d questions, %d dialog turns), %d steps of %d, %s",
                encoder.id(), weights.layers(), examples.size(), train.size(), examples.size() - train.size(), steps,
                settings.batchSize, Engine.getInstance().defaultDevice()));
            result = train(model, tokenizer, settings, examples, single(dev), devTurns, steps, log);
            final byte[] fp32 = ivbot.inference.model.OnnxGraphs.withLinearHead(
                weights.write(model.encoderValues()), Encoder.HIDDEN_OUTPUT, model.headWeight(), model.headBias());
            return ExportedPackage.write(settings, fp32, catalog, dev, examples.size(), result, log);
        }
        finally
        {
            log.accept(String.format(Locale.ROOT, "done in %.1f s", (System.nanoTime() - t0) / 1e9));
        }
    }

    /**
     * What training measured.
     *
     * @param secondsPerEpoch wall time of an epoch (of the steps run, scaled to a full epoch).
     * @param trainLoss       the mean loss of the last epoch.
     * @param steps           steps run.
     */
    record TrainingResult(double secondsPerEpoch, double trainLoss, int steps)
    {
    }

    /**
     * One training or evaluation example.
     *
     * @param context segment A (the session topic's Chinese name), or {@code null} for a question on its own.
     * @param text    the normalised question.
     * @param intent  the gold intent, resolved in context.
     */
    record Example(String context, String text, Intent intent)
    {
    }

    /**
     * @param train   single questions, trained without context.
     * @param dialogs training dialogs whose every turn is trained with the topic before it, or {@code null}.
     * @param catalog the label set.
     * @return the examples, questions first.
     */
    static List<Example> examples(final List<LabelledQuery> train, final Path dialogs, final IntentCatalog catalog)
        throws java.io.IOException
    {
        final List<Example> examples = new ArrayList<>(single(train));
        if (dialogs != null)
        {
            examples.addAll(DialogTurns.read(dialogs, catalog));
        }
        return examples;
    }

    private static List<Example> single(final List<LabelledQuery> rows)
    {
        final List<Example> examples = new ArrayList<>(rows.size());
        for (final LabelledQuery row : rows)
        {
            examples.add(new Example(null, TextNormalizer.normalize(row.text()), row.intent()));
        }
        return examples;
    }

    private static int stepsToRun(final Settings settings, final int rows)
    {
        final int perEpoch = (rows + settings.batchSize - 1) / settings.batchSize;
        final int all = perEpoch * settings.epochs;
        return settings.maxSteps > 0 ? Math.min(settings.maxSteps, all) : all;
    }

    /**
     * @return {@code [0]} the head's weights {@code [labels][hidden]}, {@code [1]} its bias: rows of the
     * {@code --init-head} package where it has the label, random rows (seeded) elsewhere.
     */
    static float[][] initialHead(final Settings settings, final IntentCatalog catalog, final int hidden)
        throws java.io.IOException
    {
        final Intent[] labels = catalog.intents().toArray(new Intent[0]);
        final Random random = new Random(settings.seed);
        final float[] w = new float[labels.length * hidden];
        for (int i = 0; i < w.length; i++)
        {
            w[i] = (float)(random.nextGaussian() * HEAD_INIT_STD);
        }
        final float[] b = new float[labels.length];
        if (settings.initHead != null)
        {
            final HeadFile head = HeadFile.read(settings.initHead, catalog);
            if (head.hidden() != hidden)
            {
                throw new IllegalArgumentException("--init-head=" + settings.initHead + ": hidden " + head.hidden()
                    + " (expected: " + hidden + ")");
            }
            for (int row = 0; row < head.labels().length; row++)
            {
                final int target = head.labels()[row].index();
                System.arraycopy(head.weights(), row * hidden, w, target * hidden, hidden);
                b[target] = head.bias()[row];
            }
        }
        return new float[][] {w, b};
    }

    private static TrainingResult train(final BertClassifier model, final WordPieceTokenizer tokenizer,
        final Settings settings, final List<Example> train, final List<Example> dev, final List<Example> devTurns,
        final int steps, final Consumer<String> log)
    {
        final int batchSize = settings.batchSize;
        final int perEpoch = (train.size() + batchSize - 1) / batchSize;
        final int warmup = Math.max(1, (int)Math.round(steps * WARMUP_FRACTION));
        final AdamW optimizer = new AdamW(model.parameters(), (float)settings.weightDecay);
        final Batch batch = new Batch(batchSize, settings.maxLength);
        final Random random = new Random(settings.seed);
        final int[] order = new int[train.size()];
        final long start = System.nanoTime();
        long lastLog = start;
        long updateNs = 0;
        int step = 0;
        double epochLoss = 0;
        int epochSteps = 0;
        for (int epoch = 0; step < steps; epoch++)
        {
            shuffle(order, random);
            epochLoss = 0;
            epochSteps = 0;
            for (int b = 0; b < perEpoch && step < steps; b++, step++)
            {
                final double schedule = step < warmup ? (step + 1) / (double)warmup
                    : Math.max(0.0, (steps - step) / (double)Math.max(1, steps - warmup));
                final int[] gold = new int[Math.min(batchSize, order.length - b * batchSize)];
                final List<Example> rows = new ArrayList<>(gold.length);
                for (int i = 0; i < gold.length; i++)
                {
                    final Example row = train.get(order[b * batchSize + i]);
                    rows.add(row);
                    gold[i] = row.intent().index();
                }
                try (NDManager scope = NDManager.newBaseManager())
                {
                    final float loss;
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector())
                    {
                        final NDArray logits = batch.logits(model, tokenizer, rows, scope, (float)settings.dropout);
                        final NDArray target = scope.create(oneHot(gold, model.labels()), new Shape(gold.length, model.labels()));
                        final NDArray value = logits.logSoftmax(1).mul(target).sum().neg().div(gold.length);
                        collector.backward(value);
                        loss = value.getFloat();
                    }
                    final long beforeUpdate = System.nanoTime();
                    optimizer.step((float)(settings.learningRate * schedule), (float)(settings.headLearningRate * schedule));
                    updateNs += System.nanoTime() - beforeUpdate;
                    epochLoss += loss;
                    epochSteps++;
                }
                final long now = System.nanoTime();
                if (now - lastLog >= PROGRESS_INTERVAL_NS || step + 1 == steps || b + 1 == perEpoch)
                {
                    lastLog = now;
                    final double elapsedS = (now - start) / 1e9;
                    final double examplesPerS = (step + 1) * (double)batchSize / elapsedS;
                    final double etaS = elapsedS / (step + 1) * (steps - step - 1);
                    log.accept(String.format(Locale.ROOT,
                        "epoch %d/%d step %d/%d loss %.4f %.1f examples/s (%.0f%% in updates) ETA %dm%02ds",
                        epoch + 1, settings.epochs, step + 1, steps, epochLoss / epochSteps, examplesPerS,
                        100.0 * updateNs / (now - start), (long)etaS / 60, (long)etaS % 60));
                }
            }
            if (epochSteps == perEpoch || step == steps)
            {
                log.accept(String.format(Locale.ROOT,
                    "epoch %d: train loss %.4f, dev accuracy %.4f, dev dialog turns %.4f (DJL fp32, model alone, gold topics)",
                    epoch + 1, epochLoss / Math.max(1, epochSteps), devAccuracy(model, tokenizer, dev, settings.maxLength),
                    devTurns.isEmpty() ? Double.NaN : devAccuracy(model, tokenizer, devTurns, settings.maxLength)));
            }
        }
        final double secondsPerEpoch = (System.nanoTime() - start) / 1e9 / steps * perEpoch;
        return new TrainingResult(secondsPerEpoch, epochLoss / Math.max(1, epochSteps), steps);
    }

    private static double devAccuracy(final BertClassifier model, final WordPieceTokenizer tokenizer,
        final List<Example> dev, final int maxLength)
    {
        final int batchSize = 64;
        final Batch batch = new Batch(batchSize, maxLength);
        int right = 0;
        for (int start = 0; start < dev.size(); start += batchSize)
        {
            final List<Example> slice = dev.subList(start, Math.min(dev.size(), start + batchSize));
            try (NDManager scope = NDManager.newBaseManager())
            {
                final long[] predicted = batch.logits(model, tokenizer, slice, scope, 0f).argMax(1).toLongArray();
                for (int i = 0; i < slice.size(); i++)
                {
                    right += predicted[i] == slice.get(i).intent().index() ? 1 : 0;
                }
            }
        }
        return right / (double)Math.max(1, dev.size());
    }

    private static float[] oneHot(final int[] gold, final int labels)
    {
        final float[] target = new float[gold.length * labels];
        for (int i = 0; i < gold.length; i++)
        {
            target[i * labels + gold[i]] = 1f;
        }
        return target;
    }

    private static void shuffle(final int[] order, final Random random)
    {
        for (int i = 0; i < order.length; i++)
        {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    /**
     * Reusable token buffers: tokenises a batch exactly as serving does ({@code encodeBatch}, padded to the
     * batch's longest row) and runs the model on it.
     */
    static final class Batch
    {
        private final int maxLength;
        private final long[] inputIds;
        private final long[] attentionMask;
        private final long[] tokenTypeIds;

        Batch(final int maxBatchSize, final int maxLength)
        {
            this.maxLength = maxLength;
            this.inputIds = new long[maxBatchSize * maxLength];
            this.attentionMask = new long[maxBatchSize * maxLength];
            this.tokenTypeIds = new long[maxBatchSize * maxLength];
        }

        NDArray logits(final BertClassifier model, final WordPieceTokenizer tokenizer, final List<Example> examples,
            final NDManager scope, final float dropout)
        {
            final int rows = examples.size();
            final List<String> contexts = new ArrayList<>(rows);
            final List<String> texts = new ArrayList<>(rows);
            boolean pairs = false;
            for (final Example example : examples)
            {
                contexts.add(example.context());
                texts.add(example.text());
                pairs |= example.context() != null;
            }
            final int seq = tokenizer.encodeBatch(pairs ? contexts : null, texts, maxLength, inputIds, attentionMask, tokenTypeIds);
            final Shape shape = new Shape(rows, seq);
            final NDArray ids = scope.create(java.util.Arrays.copyOf(inputIds, rows * seq), shape);
            final NDArray mask = scope.create(java.util.Arrays.copyOf(attentionMask, rows * seq), shape);
            final NDArray types = pairs ? scope.create(java.util.Arrays.copyOf(tokenTypeIds, rows * seq), shape) : null;
            return model.logits(ids, mask, types, dropout);
        }
    }
}
