package ivbot.mining;

import org.apache.spark.sql.SparkSession;

/**
 * Builds the SparkSession mining runs in: local mode by default ({@code local[2]}), a cluster master unchanged.
 * The UI is off (no port is opened), and shuffles are sized for the small deduplicated sets mining works on. With a
 * cluster master the jars of this JVM's class path (the mining jar and {@code mining/target/lib}: Spark's own, the
 * inference module, ONNX Runtime and the encoder carrier) are shipped to the executors ({@code spark.jars}), since
 * the encoder runs there.
 */
public final class SparkSessions
{
    private SparkSessions()
    {
    }

    /**
     * @param master     the Spark master, e.g. {@code local[2]} or {@code spark://host:7077}.
     * @param partitions shuffle partitions ({@code spark.sql.shuffle.partitions}), at least 1.
     * @return the session (the caller stops it).
     */
    public static SparkSession open(final String master, final int partitions)
    {
        if (partitions < 1)
        {
            throw new IllegalArgumentException("--partitions=" + partitions + " (expected: > 0)");
        }
        final SparkSession.Builder builder = SparkSession.builder();
        if (!master.startsWith("local"))
        {
            builder.config("spark.jars", String.join(",", java.util.Arrays.stream(
                System.getProperty("java.class.path", "").split(java.io.File.pathSeparator))
                .filter(p -> p.endsWith(".jar")).toList()));
        }
        return builder
            .appName("ivbot-mine")
            .master(master)
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", Integer.toString(partitions))
            .config("spark.default.parallelism", Integer.toString(partitions))
            .config("spark.sql.adaptive.enabled", "true")
            .config("spark.driver.bindAddress", System.getenv().getOrDefault("SPARK_LOCAL_IP", "127.0.0.1"))
            .config("spark.driver.host", System.getenv().getOrDefault("SPARK_LOCAL_IP", "127.0.0.1"))
            .getOrCreate();
    }
}
