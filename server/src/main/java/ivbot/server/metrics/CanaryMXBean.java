package ivbot.server.metrics;

/**
 * JMX view and controls of canary releases ({@code ivbot:type=Canary}), registered when canaries are on. The
 * operations are what {@code ivbot model status|promote|rollback|pause|resume} calls.
 */
public interface CanaryMXBean
{
    /** @return {@code idle}, {@code soaking} or {@code paused}. */
    String getState();

    /** @return the stable version, or {@code null}. */
    String getStableVersion();

    /** @return the candidate's version, or {@code null}. */
    String getCandidateVersion();

    /** @return soak seconds left. */
    long getSoakLeftSeconds();

    /** @return the candidate's agreement with stable on shadowed queries, or {@code NaN}. */
    double getAgreement();

    /** @return promotions so far. */
    long getPromotions();

    /** @return rollbacks so far. */
    long getRollbacks();

    /** @return the full status as JSON. */
    String status();

    /** @return the status after promoting the candidate now, or why nothing happened. */
    String promote();

    /** @return the status after rolling the candidate back now, or why nothing happened. */
    String rollback();

    /** @return the status after pausing the soak, or why nothing happened. */
    String pause();

    /** @return the status after resuming the soak, or why nothing happened. */
    String resume();
}
