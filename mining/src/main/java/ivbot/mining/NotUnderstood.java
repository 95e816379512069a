package ivbot.mining;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.row_number;

/**
 * The turns the assistant did not understand, and their questions de-duplicated. A turn is not understood when
 * <ul>
 *   <li>the server said so ({@code unknown}, in events that carry it), or</li>
 *   <li>its intent is the catalog's fallback ({@code out_of_scope}), or</li>
 *   <li>it asked a clarifying question ({@code clarifying}), or</li>
 *   <li>the rules answered it because the model could not ({@code source == rules} with a non-empty
 *       {@code fallback_reason}: deadline, queue_full, model_error, no_model, user_share), or</li>
 *   <li>its {@code confidence} (the model's, or the rules' where they answered) is below {@code maxConfidence},
 *       or, for a turn of the model or its cache, its {@code margin} is below {@code maxMargin} (the rules report
 *       no margin: theirs is 0). A TSV row has no figures at all and is always mined.</li>
 * </ul>
 * Immutable; the columns it reads are those of {@link TurnInput#SCHEMA}.
 *
 * @param fallbackIntent the catalog's fallback intent id.
 * @param maxConfidence  turns with a lower model confidence are mined, in [0, 1].
 * @param maxMargin      turns with a lower top-two margin are mined, in [0, 1]; 0 turns the test off.
 */
public record NotUnderstood(String fallbackIntent, double maxConfidence, double maxMargin)
{
    /** The columns of {@link #questions}: an id, the normalized question, one raw form of it, its turn count, a label. */
    public static final String ID = "id";
    /** The normalized question. */
    public static final String TEXT = "text";
    /** One raw form of it. */
    public static final String RAW = "raw";
    /** How many not-understood turns asked it. */
    public static final String TURNS = "turns";
    /** The true label where the input carries one (TSV), else empty. */
    public static final String LABEL = "label";

    /** Checks the settings. */
    public NotUnderstood
    {
        if (!(maxConfidence >= 0 && maxConfidence <= 1))
        {
            throw new IllegalArgumentException("--max-confidence=" + maxConfidence + " (expected: 0 to 1)");
        }
        if (!(maxMargin >= 0 && maxMargin <= 1))
        {
            throw new IllegalArgumentException("--max-margin=" + maxMargin + " (expected: 0 to 1)");
        }
    }

    /**
     * @return the predicate on a turn row.
     */
    public Column predicate()
    {
        final Column confidence = coalesce(col("confidence"), lit(0.0));
        final Column margin = coalesce(col("margin"), lit(0.0));
        return coalesce(col("unknown"), lit(false))
            .or(col("intent").equalTo(lit(fallbackIntent)))
            .or(coalesce(col("clarifying"), lit(false)))
            .or(col("source").equalTo(lit("rules")).and(coalesce(col("fallback_reason"), lit("")).notEqual(lit(""))))
            .or(confidence.lt(lit(maxConfidence)))
            .or(coalesce(col("source"), lit("")).notEqual(lit("rules")).and(margin.lt(lit(maxMargin))));
    }

    /**
     * @param turns turns of {@link TurnInput#SCHEMA}.
     * @return the not-understood turns.
     */
    public Dataset<Row> turns(final Dataset<Row> turns)
    {
        return turns.filter(predicate());
    }

    /**
     * @param turns turns of {@link TurnInput#SCHEMA}.
     * @return the not-understood questions, one row per normalized question: {@value #ID} (dense, from 0),
     *         {@value #TEXT}, {@value #RAW}, {@value #TURNS}, {@value #LABEL} (the most common non-empty label).
     */
    public Dataset<Row> questions(final Dataset<Row> turns)
    {
        final Dataset<Row> grouped = turns(turns)
            .filter(length(col("normalized_query")).gt(0))
            .groupBy(col("normalized_query").as(TEXT))
            .agg(first(col("query")).as(RAW), count(lit(1)).as(TURNS), max(col("label")).as(LABEL));
        // a dense id (0..n-1) indexes the vectors and the union-find; the order makes runs reproducible
        return grouped.withColumn(ID, row_number().over(org.apache.spark.sql.expressions.Window.orderBy(col(TEXT))).minus(1))
            .select(col(ID).cast("int").as(ID), col(TEXT), col(RAW), col(TURNS), col(LABEL));
    }
}
