package ivbot.server.metrics;

/**
 * One stage's latency, in microseconds: for the last reporting interval and since start (or the last
 * reset). Registered as {@code ivbot:type=Stage,name=<stage>}.
 */
public interface StageMXBean
{
    long getIntervalCount();

    long getIntervalP50Us();

    long getIntervalP90Us();

    long getIntervalP99Us();

    long getIntervalP999Us();

    long getIntervalMaxUs();

    long getCount();

    long getP50Us();

    long getP90Us();

    long getP99Us();

    long getP999Us();

    long getMaxUs();
}
