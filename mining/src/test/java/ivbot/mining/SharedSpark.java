package ivbot.mining;

import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;

/**
 * The one SparkSession of the module's tests ({@code local[2]}, started on first use, stopped when the test JVM
 * exits): a session takes seconds to start, and Spark allows one per JVM.
 */
final class SharedSpark
{
    private static SparkSession session;

    private SharedSpark()
    {
    }

    static synchronized SparkSession get()
    {
        if (session == null)
        {
            session = SparkSessions.open("local[2]", 2);
            final SparkSession started = session;
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "spark-stop"));
        }
        return session;
    }

    /** @return the repository's root, where models/ is. */
    static Path repo()
    {
        return Path.of(System.getProperty("ivbot.repo.root", ".."));
    }
}
