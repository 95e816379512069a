package ivbot.mining;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import ivbot.inference.TextNormalizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code ivbot mine --generate --out DIR --events 100000}: writes synthetic turn events in the server's file format
 * (one {@code turns-<day>-0.jsonl}, the fields of {@code TurnEventJson}) for the scale run. A share
 * ({@code --unknown-share}) of the turns is not understood: questions of the {@code --unknown-intents} (as if the
 * model did not know them) and of the fallback intent, answered {@code out_of_scope} or with a low confidence; the
 * rest are the other intents' questions answered with a high confidence. Questions come from the train and dev TSVs
 * with character-level noise (a character dropped, doubled or swapped with its neighbour, or a particle appended),
 * so most turns are distinct strings. Timestamps spread over the last 23 hours. Deterministic for a seed.
 */
@Command(name = "mine --generate", mixinStandardHelpOptions = true, description = "Write synthetic turn events for the mining scale run.")
public final class SyntheticEvents implements Callable<Integer>
{
    private static final String[] PARTICLES = {"啊", "呢", "吗", "呀", "?", "!", "哈", "嘛", "。", "请问"};

    @Option(names = "--out", required = true, description = "Events folder to write (made if absent).")
    Path out;

    @Option(names = "--events", defaultValue = "100000", description = "Turn events to write (default: ${DEFAULT-VALUE}).")
    int events;

    @Option(names = "--unknown-share", defaultValue = "0.3", description = "Share of turns not understood (default: ${DEFAULT-VALUE}).")
    double unknownShare;

    @Option(names = "--unknown-intents", split = ",", defaultValue = "leave_marriage,hukou,remote_work,out_of_scope", description = "Intents of the not-understood turns (default: ${DEFAULT-VALUE}).")
    List<String> unknownIntents;

    @Option(names = "--noise", defaultValue = "0.7", description = "Probability that a turn's question gets one character-level edit (default: ${DEFAULT-VALUE}).")
    double noise;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"--data"}, split = ",", defaultValue = "${sys:ivbot.home:-.}/models/data/train.tsv,${sys:ivbot.home:-.}/models/data/dev.tsv", description = "Labelled TSVs the questions come from (default: ${DEFAULT-VALUE}).")
    List<Path> data;

    /**
     * @param args the command line.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new SyntheticEvents()).execute(args));
    }

    @Override
    public Integer call() throws Exception
    {
        if (events < 1)
        {
            throw new IllegalArgumentException("--events=" + events + " (expected: > 0)");
        }
        if (!(unknownShare >= 0 && unknownShare <= 1))
        {
            throw new IllegalArgumentException("--unknown-share=" + unknownShare + " (expected: 0 to 1)");
        }
        final Set<String> unknown = new HashSet<>(unknownIntents);
        final List<String[]> known = new ArrayList<>();
        final List<String[]> notKnown = new ArrayList<>();
        for (final Path file : data)
        {
            final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (final String line : lines.subList(1, lines.size()))
            {
                final String[] cols = line.split("\t", -1);
                if (cols.length >= 2 && !cols[0].isBlank())
                {
                    (unknown.contains(cols[1].strip()) ? notKnown : known).add(cols);
                }
            }
        }
        if (known.isEmpty() || notKnown.isEmpty())
        {
            throw new IllegalArgumentException("--unknown-intents " + unknownIntents + ": leaves " + known.size() + " known and "
                + notKnown.size() + " unknown questions (expected: some of each)");
        }
        Files.createDirectories(out);
        final long now = System.currentTimeMillis();
        final Path file = out.resolve("turns-" + LocalDate.now(ZoneOffset.UTC) + "-0.jsonl");
        final Random random = new Random(seed);
        final JsonFactory json = new JsonFactory();
        int written = 0;
        int notUnderstood = 0;
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
             JsonGenerator gen = json.createGenerator(os, JsonEncoding.UTF8))
        {
            gen.setRootValueSeparator(null);
            for (int i = 0; i < events; i++)
            {
                final boolean isUnknown = random.nextDouble() < unknownShare;
                final String[] row = (isUnknown ? notKnown : known).get(random.nextInt((isUnknown ? notKnown : known).size()));
                final String query = random.nextDouble() < noise ? perturb(row[0], random) : row[0];
                final boolean fallback = isUnknown && (random.nextBoolean() || "out_of_scope".equals(row[1].strip()));
                final String intent = fallback ? "out_of_scope" : isUnknown ? known.get(random.nextInt(known.size()))[1].strip() : row[1].strip();
                final double confidence = isUnknown ? 0.2 + 0.39 * random.nextDouble() : 0.9 + 0.1 * random.nextDouble();
                write(gen, i, now - (long)(random.nextDouble() * 23 * 3_600_000L), query, intent, confidence,
                    isUnknown ? confidence * 0.5 : confidence - 0.05, fallback);
                os.write('\n');
                written++;
                notUnderstood += isUnknown ? 1 : 0;
            }
        }
        System.out.printf(Locale.ROOT, "wrote %d turn events (%d not understood) to %s%n", written, notUnderstood, file);
        return 0;
    }

    private static void write(final JsonGenerator gen, final int i, final long timestampMs, final String query, final String intent,
        final double confidence, final double margin, final boolean clarifying) throws java.io.IOException
    {
        gen.writeStartObject();
        gen.writeStringField("event_id", "synthetic-" + i);
        gen.writeNumberField("timestamp_ms", timestampMs);
        gen.writeStringField("session_id", "s" + (i / 3));
        gen.writeStringField("user_hash", "u" + (i % 997));
        gen.writeNumberField("turn", i % 3 + 1);
        gen.writeStringField("query", query);
        gen.writeStringField("normalized_query", TextNormalizer.normalize(query));
        gen.writeStringField("intent", intent);
        gen.writeStringField("audience", "");
        gen.writeNumberField("confidence", (float)confidence);
        gen.writeNumberField("margin", (float)margin);
        gen.writeStringField("source", "model");
        gen.writeStringField("fallback_reason", "");
        gen.writeStringField("model_version", "synthetic");
        gen.writeStringField("cohort", "");
        gen.writeNumberField("latency_ms", 3.0f);
        gen.writeBooleanField("context_lost", false);
        gen.writeBooleanField("clarifying", clarifying);
        gen.writeEndObject();
        gen.flush();
    }

    /** One character-level edit: drop, double, swap with the next, or append a particle. */
    static String perturb(final String text, final Random random)
    {
        final int[] cps = text.codePoints().toArray();
        if (cps.length < 3)
        {
            return text + PARTICLES[random.nextInt(PARTICLES.length)];
        }
        final int at = random.nextInt(cps.length - 1);
        final StringBuilder sb = new StringBuilder(text.length() + 4);
        switch (random.nextInt(4))
        {
            case 0 ->
            {
                for (int k = 0; k < cps.length; k++)
                {
                    if (k != at)
                    {
                        sb.appendCodePoint(cps[k]);
                    }
                }
            }
            case 1 ->
            {
                for (int k = 0; k < cps.length; k++)
                {
                    sb.appendCodePoint(cps[k]);
                    if (k == at)
                    {
                        sb.appendCodePoint(cps[k]);
                    }
                }
            }
            case 2 ->
            {
                for (int k = 0; k < cps.length; k++)
                {
                    sb.appendCodePoint(k == at ? cps[at + 1] : k == at + 1 ? cps[at] : cps[k]);
                }
            }
            default -> sb.append(text).append(PARTICLES[random.nextInt(PARTICLES.length)]);
        }
        return sb.toString();
    }
}
