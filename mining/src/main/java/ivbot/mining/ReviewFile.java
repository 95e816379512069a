package ivbot.mining;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The files a mining run writes for review: the clusters, one per line, and their questions labelled with the
 * suggested ids, a training TSV ready to edit and feed to {@code ivbot train} (after the new ids are added to the
 * catalog).
 * <pre>
 * review.tsv (UTF-8, tab-separated, header first)
 *   cluster  questions  turns  suggested_id  suggested_zh  nearest_intent  similarity  representatives
 *   1        14         17     new_1         婚假          leave_annual    0.8123      婚假几天 | 结婚能休几天 | ...
 *
 * review-train.tsv (the format of models/data/train.tsv)
 *   text     intent     audience
 *   婚假几天  new_1
 * </pre>
 * Representatives are separated by {@code " | "}; tabs and line breaks inside a question are written as spaces.
 * Stateless.
 */
public final class ReviewFile
{
    /** The header of the review file. */
    public static final String HEADER = "cluster\tquestions\tturns\tsuggested_id\tsuggested_zh\tnearest_intent\tsimilarity\trepresentatives";
    /** The header of the training TSV. */
    public static final String TRAIN_HEADER = "text\tintent\taudience";
    private static final String SEPARATOR = " | ";

    /**
     * One parsed review line.
     *
     * @param cluster         the cluster number (from 1).
     * @param questions       its distinct questions.
     * @param turns           its turns.
     * @param suggestedId     the suggested id.
     * @param suggestedZh     the suggested Chinese name.
     * @param nearestIntent   the nearest existing intent.
     * @param similarity      its similarity.
     * @param representatives the representative questions.
     */
    public record Line(int cluster, int questions, long turns, String suggestedId, String suggestedZh, String nearestIntent,
        double similarity, List<String> representatives)
    {
    }

    private ReviewFile()
    {
    }

    /**
     * @param review    the review file.
     * @param train     the training TSV.
     * @param result    the run.
     * @throws IOException when a file cannot be written.
     */
    public static void write(final Path review, final Path train, final Miner.Result result) throws IOException
    {
        for (final Path p : new Path[] {review, train})
        {
            if (p.toAbsolutePath().getParent() != null)
            {
                Files.createDirectories(p.toAbsolutePath().getParent());
            }
        }
        try (BufferedWriter out = Files.newBufferedWriter(review, StandardCharsets.UTF_8);
             BufferedWriter labelled = Files.newBufferedWriter(train, StandardCharsets.UTF_8))
        {
            out.write(HEADER);
            out.write('\n');
            labelled.write(TRAIN_HEADER);
            labelled.write('\n');
            for (final MinedCluster c : result.clusters())
            {
                out.write((c.number() + 1) + "\t" + c.members().length + "\t" + c.turns() + "\t" + c.suggestedId() + "\t"
                    + clean(c.suggestedZh()) + "\t" + c.nearestIntent() + "\t" + String.format(Locale.ROOT, "%.4f", c.similarity())
                    + "\t" + String.join(SEPARATOR, c.representatives().stream().map(ReviewFile::clean).toList()));
                out.write('\n');
                for (final int id : c.members())
                {
                    labelled.write(clean(result.questions().get(id).raw()) + "\t" + c.suggestedId() + "\t");
                    labelled.write('\n');
                }
            }
        }
    }

    /**
     * @param review a review file.
     * @return its lines.
     * @throws IOException when unreadable or malformed; the message names the line.
     */
    public static List<Line> read(final Path review) throws IOException
    {
        final List<String> lines = Files.readAllLines(review, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !HEADER.equals(lines.get(0)))
        {
            throw new IOException(review + ":1: header must be '" + HEADER.replace("\t", "<TAB>") + "'");
        }
        final List<Line> out = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++)
        {
            final String[] cols = lines.get(i).split("\t", -1);
            if (cols.length != 8)
            {
                throw new IOException(review + ":" + (i + 1) + ": expected 8 tab-separated columns, got " + cols.length);
            }
            try
            {
                out.add(new Line(Integer.parseInt(cols[0]), Integer.parseInt(cols[1]), Long.parseLong(cols[2]), cols[3], cols[4],
                    cols[5], Double.parseDouble(cols[6]), Arrays.asList(cols[7].split(" \\| ", -1))));
            }
            catch (final NumberFormatException ex)
            {
                throw new IOException(review + ":" + (i + 1) + ": " + ex.getMessage(), ex);
            }
        }
        return out;
    }

    /**
     * @param review the review file's path, e.g. {@code review.tsv}.
     * @return the training TSV beside it, e.g. {@code review-train.tsv}.
     */
    public static Path trainPathFor(final Path review)
    {
        final String name = review.getFileName().toString();
        final String stem = name.endsWith(".tsv") ? name.substring(0, name.length() - 4) : name;
        return review.resolveSibling(stem + "-train.tsv");
    }

    private static String clean(final String text)
    {
        return text.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }
}
