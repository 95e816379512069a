package ivbot.mining;

import ivbot.inference.TextNormalizer;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;

import static org.apache.spark.sql.functions.udf;

/**
 * {@link TextNormalizer} as a Spark column function (NFKC, lower case, stripped), the normalisation the server
 * applies before the model, so that TSV questions and events read the same. Stateless.
 */
final class Normalize
{
    private static final UserDefinedFunction UDF = udf(
        (UDF1<String, String>)text -> text == null ? null : TextNormalizer.normalize(text), DataTypes.StringType);

    private Normalize()
    {
    }

    static Column column(final Column text)
    {
        return UDF.apply(text);
    }
}
