package ivbot.server.metrics;

/**
 * One stage's latency, in microseconds, registered as {@code ivbot:type=Stage,name=<stage>}: for the last
 * reporter interval ({@code ...LastInterval}, 0 at rest) and since start or the last {@code resetHistograms}
 * ({@code ...SinceStart}). Each read returns a field of the reporter's latest {@link MetricsSnapshot}: nothing
 * is copied or computed on the JMX thread.
 */
public interface StageMXBean
{
    /** @return values recorded in the last interval. */
    long getCountLastInterval();

    /** @return the median of the last interval, µs. */
    long getP50UsLastInterval();

    /** @return the 90th percentile of the last interval, µs. */
    long getP90UsLastInterval();

    /** @return the 99th percentile of the last interval, µs. */
    long getP99UsLastInterval();

    /** @return the 99.9th percentile of the last interval, µs. */
    long getP999UsLastInterval();

    /** @return the largest value of the last interval, µs. */
    long getMaxUsLastInterval();

    /** @return values recorded since start. */
    long getCountSinceStart();

    /** @return the median since start, µs. */
    long getP50UsSinceStart();

    /** @return the 90th percentile since start, µs. */
    long getP90UsSinceStart();

    /** @return the 99th percentile since start, µs. */
    long getP99UsSinceStart();

    /** @return the 99.9th percentile since start, µs. */
    long getP999UsSinceStart();

    /** @return the largest value since start, µs. */
    long getMaxUsSinceStart();
}
