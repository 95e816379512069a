package ivbot.perf;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The harness's settings: documented name/default pairs, filled in by {@link BenchMain} (or a test) and
 * checked once by {@link #conclude()}, whose errors name the setting and its value (Aeron's
 * {@code MediaDriver.Context} idea). Durations are nanoseconds, rates requests per second.
 * <p>
 * Not thread-safe: fill it in and conclude it on one thread, then only read it.
 */
public final class BenchConfig
{
    /** The wire protocol a run speaks. */
    public enum Protocol
    {
        /** HTTP/1.1 JSON, keep-alive, pipelined. */
        HTTP,
        /** Varint32-length-prefixed protobuf {@code Frame}s, pipelined, matched by {@code request_id}. */
        PROTO
    }

    /** {@code --url}: {@code http://host[:port]}; only host and port are used. */
    public String url = "http://127.0.0.1:8080";
    /** {@code --protocol}: http or proto. */
    public Protocol protocol = Protocol.HTTP;
    /** {@code --rate}: open-loop requests per second; 0 when closed loop or find-max. */
    public double rate = 0;
    /** {@code --concurrency}: closed-loop outstanding requests; 0 when open loop. */
    public int concurrency = 0;
    /** {@code --connections}: TCP connections, each with its own event loop affinity. */
    public int connections = 4;
    /** {@code --duration}: the measured part of a run (of each step under find-max). */
    public long durationNs = 30_000_000_000L;
    /** {@code --warmup}: sent before the measured part and left out of the results. */
    public long warmupNs = 5_000_000_000L;
    /** {@code --zipf}: Zipf exponent over the query file's order; 0 draws uniformly. */
    public double zipfExponent = 0;
    /** {@code --users}: logical users, each with its own conversation; spread over the connections. */
    public int users = 100;
    /** {@code --turns-per-session}: a user starts a new session after this many turns; 0 never. */
    public int turnsPerSession = 5;
    /** {@code --max-in-flight}: pipelined requests per connection before requests queue in the client. */
    public int maxInFlight = 64;
    /** {@code --io-threads}: client event-loop threads; 0 means min(connections, cores). */
    public int ioThreads = 0;
    /** {@code --timeout}: a reply later than this after its intended send time counts as a timeout. */
    public long timeoutNs = 10_000_000_000L;
    /** {@code --path}: the HTTP chat path. */
    public String path = "/v1/chat";
    /** {@code --seed}: seeds the query draws, per connection. */
    public long seed = 42;
    /** {@code --find-max}: search the highest rate that meets {@link #p99TargetNs}. */
    public boolean findMax = false;
    /** {@code --p99}: the find-max P99 target. */
    public long p99TargetNs = 25_000_000L;
    /** {@code --min-rate}: the first find-max step. */
    public double minRate = 100;
    /** {@code --max-rate}: the find-max ceiling. */
    public double maxRate = 200_000;
    /** {@code --max-steps}: the most find-max steps. */
    public int maxSteps = 14;
    /** {@code --retries}: how many times a failing find-max step is run again before it counts as failed. */
    public int retries = 1;
    /**
     * {@code --unique}: append {@code " #<n>"} to every query, {@code n} unique within this harness
     * process, so that no cache can answer and every request reaches the model.
     */
    public boolean unique = false;
    /**
     * {@code --raw} (HTTP only): any 200 reply counts as a success without its body being read, for
     * servers that do not speak ivbot's JSON (e.g. Netty's HelloWorld example).
     */
    public boolean raw = false;

    /** Set by {@link #conclude()}: the host to connect to. */
    public String host;
    /** Set by {@link #conclude()}: the port to connect to. */
    public int port;

    /**
     * Checks every setting and derives {@link #host}, {@link #port} and the io-thread count.
     *
     * @return this.
     * @throws IllegalArgumentException naming the first setting out of range.
     */
    public BenchConfig conclude()
    {
        parseUrl();
        check(connections > 0, "connections", connections, "> 0");
        check(durationNs > 0, "duration", Durations.format(durationNs), "> 0");
        check(warmupNs >= 0, "warmup", Durations.format(warmupNs), ">= 0");
        check(zipfExponent >= 0 && !Double.isInfinite(zipfExponent), "zipf", zipfExponent, ">= 0");
        check(users >= connections, "users", users, ">= --connections " + connections);
        check(turnsPerSession >= 0, "turns-per-session", turnsPerSession, ">= 0");
        check(maxInFlight > 0, "max-in-flight", maxInFlight, "> 0");
        check(ioThreads >= 0, "io-threads", ioThreads, ">= 0");
        check(timeoutNs > 0, "timeout", Durations.format(timeoutNs), "> 0");
        check(path != null && path.startsWith("/"), "path", path, "an absolute path such as /v1/chat");
        check(rate >= 0 && !Double.isInfinite(rate), "rate", rate, "> 0");
        check(concurrency >= 0, "concurrency", concurrency, "> 0");
        check(!raw || protocol == Protocol.HTTP, "raw", "with --protocol " + protocol, "--protocol http");
        if (findMax)
        {
            check(concurrency == 0 && rate == 0, "find-max", "with --rate or --concurrency",
                "alone: it chooses the rates itself");
            check(p99TargetNs > 0, "p99", Durations.format(p99TargetNs), "> 0");
            check(minRate > 0, "min-rate", minRate, "> 0");
            check(maxRate >= minRate, "max-rate", maxRate, ">= --min-rate " + minRate);
            check(maxSteps > 0, "max-steps", maxSteps, "> 0");
            check(retries >= 0, "retries", retries, ">= 0");
        }
        else
        {
            check((rate > 0) != (concurrency > 0), "rate", rate + " --concurrency=" + concurrency,
                "exactly one of --rate R (open loop) or --concurrency C (closed loop), or --find-max");
        }
        if (ioThreads == 0)
        {
            ioThreads = Math.min(connections, Runtime.getRuntime().availableProcessors());
        }
        return this;
    }

    /**
     * @return a one-line description for the head of the output.
     */
    String describe()
    {
        final String mode = findMax ? "find-max" : rate > 0 ? "open-loop rate=" + fmt(rate) + "/s"
            : "closed-loop concurrency=" + concurrency;
        return protocol.name().toLowerCase(Locale.ROOT) + " " + mode + " connections=" + connections
            + " users=" + users + " turns-per-session=" + turnsPerSession + " duration=" + Durations.format(durationNs)
            + " warmup=" + Durations.format(warmupNs) + " zipf=" + zipfExponent + (unique ? " unique" : "")
            + (raw ? " raw" : "") + " target=" + host + ":" + port;
    }

    private void parseUrl()
    {
        final URI uri;
        try
        {
            uri = new URI(url);
        }
        catch (final URISyntaxException | NullPointerException ex)
        {
            throw new IllegalArgumentException("--url=" + url + " (expected: http://host[:port])");
        }
        check("http".equalsIgnoreCase(uri.getScheme()) && uri.getHost() != null, "url", url, "http://host[:port]");
        host = uri.getHost();
        port = uri.getPort() < 0 ? 80 : uri.getPort();
    }

    static String fmt(final double value)
    {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long)value)
            : String.format(Locale.ROOT, "%.1f", value);
    }

    private static void check(final boolean ok, final String name, final Object value, final String expected)
    {
        if (!ok)
        {
            throw new IllegalArgumentException("--" + name + "=" + value + " (expected: " + expected + ")");
        }
    }
}
