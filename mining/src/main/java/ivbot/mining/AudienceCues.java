package ivbot.mining;

import ivbot.inference.IntentCatalog;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.apache.spark.sql.functions.udf;

/**
 * The audience words (校招, 应届生, 社招, 实习生, ...) taken out of a question before the encoder sees it. The audience
 * is a slot of its own, not part of the intent (catalog: "the audience is a separate slot"), yet in bge-small-zh's
 * space it weighs as much as the topic: 社招能落户吗 and 社招能远程吗 are nearer each other than 社招能落户吗 and
 * 落户要什么条件. The words are data: the literal cues of weight 2 and above in the {@code [@campus]},
 * {@code [@experienced]} and {@code [@intern]} sections of the rule file (regular expressions and weaker hints are
 * left alone). Immutable and serialisable (it travels to the executors inside the column function).
 */
public final class AudienceCues implements Serializable
{
    private static final long serialVersionUID = 1L;
    private static final String BUILT_IN = "/ivbot/inference/rules/intent-rules.txt";

    private final ArrayList<String> cues;

    private AudienceCues(final List<String> cues)
    {
        this.cues = new ArrayList<>(cues);
        this.cues.sort(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));
    }

    /**
     * @return no cues: {@link #mask} returns its input.
     */
    public static AudienceCues none()
    {
        return new AudienceCues(List.of());
    }

    /**
     * @param rules a rule file, or {@code null} for the built-in rules.
     * @return the audience cues it lists.
     * @throws IOException when unreadable.
     */
    public static AudienceCues fromRules(final Path rules) throws IOException
    {
        if (rules != null)
        {
            return parse(Files.readString(rules, StandardCharsets.UTF_8));
        }
        try (InputStream in = IntentCatalog.class.getResourceAsStream(BUILT_IN))
        {
            if (in == null)
            {
                throw new IOException("classpath resource " + BUILT_IN + " not found (is ivbot-inference on the classpath?)");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    static AudienceCues parse(final String text)
    {
        final List<String> cues = new ArrayList<>();
        boolean audience = false;
        for (final String raw : text.split("\\n"))
        {
            final String line = raw.strip();
            if (line.startsWith("["))
            {
                audience = line.startsWith("[@") && !line.startsWith("[@-]");
                continue;
            }
            if (!audience || line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final int space = line.indexOf(' ');
            if (space < 0 || line.substring(space + 1).startsWith("/"))
            {
                continue;
            }
            final double weight;
            try
            {
                weight = Double.parseDouble(line.substring(0, space));
            }
            catch (final NumberFormatException ex)
            {
                continue;
            }
            if (weight >= 2)
            {
                for (final String cue : line.substring(space + 1).split("\\|"))
                {
                    if (!cue.isBlank())
                    {
                        cues.add(cue.strip());
                    }
                }
            }
        }
        return new AudienceCues(cues);
    }

    /**
     * @param normalized a normalized question.
     * @return it without its audience words (longest first); the question itself when nothing else would be left.
     */
    public String mask(final String normalized)
    {
        String out = normalized;
        for (final String cue : cues)
        {
            if (out.contains(cue))
            {
                out = out.replace(cue, " ");
            }
        }
        out = out.replaceAll("\\s+", " ").strip();
        return out.isEmpty() ? normalized : out;
    }

    /**
     * @param text a text column.
     * @return the column masked, as a Spark column function.
     */
    public Column column(final Column text)
    {
        final AudienceCues self = this;
        final UserDefinedFunction f = udf((UDF1<String, String>)t -> t == null ? null : self.mask(t), DataTypes.StringType);
        return f.apply(text);
    }

    /**
     * @return how many cues there are.
     */
    public int size()
    {
        return cues.size();
    }
}
