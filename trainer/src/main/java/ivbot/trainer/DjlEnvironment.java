package ivbot.trainer;

import java.nio.file.Path;

/**
 * Settles where DJL may look, before its engine loads: offline mode ({@code ai.djl.offline=true}: DJL
 * downloads nothing, and takes libtorch from the {@code pytorch-native-cpu} jar on the classpath),
 * telemetry off ({@code OPT_OUT_TRACKING=true}: no call to the EC2 metadata address), and a cache folder
 * the project controls for the extracted libtorch ({@code DJL_CACHE_DIR}, {@code ENGINE_CACHE_DIR}).
 * An environment variable or system property the caller already set for a cache folder wins.
 * <p>
 * Call from the main thread before the first DJL class that touches the engine; later calls change nothing
 * DJL has already read.
 */
public final class DjlEnvironment
{
    /** Where the CLI extracts libtorch unless told otherwise: {@code $IVBOT_STATE_DIR/djl} or {@code ~/.ivbot/djl}. */
    public static Path defaultCacheDir()
    {
        final String state = System.getenv("IVBOT_STATE_DIR");
        return (state != null && !state.isEmpty() ? Path.of(state) : Path.of(System.getProperty("user.home"), ".ivbot"))
            .resolve("djl");
    }

    private DjlEnvironment()
    {
    }

    /**
     * @param cacheDir the folder for DJL's cache when none is configured.
     * @return the cache folder DJL will use.
     */
    public static Path configure(final Path cacheDir)
    {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        final String dir = setIfAbsent("DJL_CACHE_DIR", cacheDir.toAbsolutePath().toString());
        setIfAbsent("ENGINE_CACHE_DIR", dir);
        return Path.of(dir);
    }

    private static String setIfAbsent(final String name, final String value)
    {
        final String env = System.getenv(name);
        if (env != null && !env.isEmpty())
        {
            return env;
        }
        final String property = System.getProperty(name);
        if (property != null && !property.isEmpty())
        {
            return property;
        }
        System.setProperty(name, value);
        return value;
    }
}
