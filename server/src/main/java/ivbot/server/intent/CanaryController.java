package ivbot.server.intent;

import ivbot.inference.batch.FallbackReason;
import ivbot.inference.batch.InferenceAgent;
import ivbot.inference.model.IntentModel;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Ships a model version the careful way: a version that passes the dev-set gate does not replace the stable
 * model but serves beside it as the <em>candidate</em>, answering a cohort of users (a stable hash of the
 * token's {@code sub} below {@link Settings#share}, and every token with a {@code canary: true} claim), while a
 * sample of the stable cohort's queries is also scored by it off the hot path (shadow). After a soak
 * ({@link Settings#soakMs} and {@link Settings#minTurns} canary turns) it is promoted; any breach during the soak
 * rolls it back at once:
 * <pre>
 *   p99     the canary cohort's model-stage P99 above stable's x {@link Settings#maxP99Ratio}
 *   fallback the share of canary turns that fell back (deadline, queue_full) above stable's + margin
 *   errors  the share of canary turns failed by the model (model_error) above stable's + margin
 *   agreement on shadowed queries, the candidate agrees with stable less often than {@link Settings#minAgreement}
 * </pre>
 * Each figure is judged once both sides have {@link Settings#minSamples} of it. The dev-set macro-F1 gate (at most
 * one point below stable) is the model repository's, before a version becomes a candidate. Promotion and
 * rollback swap models between two inference batches ({@link InferenceAgent#promoteCandidate},
 * {@link InferenceAgent#dropCandidate}): no request fails.
 * <p>
 * Thread-safe: turns are recorded from event loops (adders and HdrHistogram {@link Recorder}s); {@link #evaluate()},
 * the operator's commands and {@link #onCandidate} are synchronized.
 */
public final class CanaryController
{
    private static final Logger LOG = LoggerFactory.getLogger(CanaryController.class);
    private static final int DISAGREEMENTS_KEPT = 20;
    private static final long HIGHEST_US = 60_000_000L;

    /**
     * Settings: documented name/default pairs.
     */
    public static final class Settings
    {
        /** {@code --canary-share}: the share of users the candidate answers, in [0, 1]. */
        public double share = 0.05;
        /** {@code --canary-soak-ms}: how long a candidate soaks before promotion. */
        public long soakMs = 600_000;
        /** {@code --canary-min-turns}: the fewest canary turns answered by the model before promotion. */
        public long minTurns = 200;
        /** {@code --canary-min-samples}: how many of a figure each side needs before it is judged. */
        public long minSamples = 50;
        /** {@code --canary-max-p99-ratio}: the canary cohort's P99 may be at most stable's times this. */
        public double maxP99Ratio = 1.2;
        /** {@code --canary-max-fallback-increase}: how far the canary fallback share may exceed stable's. */
        public double maxFallbackIncrease = 0.02;
        /** {@code --canary-max-error-increase}: how far the canary model-error share may exceed stable's. */
        public double maxErrorIncrease = 0.01;
        /** {@code --canary-min-agreement}: the lowest agreement with stable on shadowed queries. */
        public double minAgreement = 0.9;
        /** {@code --canary-shadow-share}: the share of the stable cohort's model queries the candidate also scores. */
        public double shadowShare = 0.1;

        /**
         * @throws IllegalArgumentException naming the setting and its value.
         */
        public void check()
        {
            unit("--canary-share", share);
            unit("--canary-min-agreement", minAgreement);
            unit("--canary-shadow-share", shadowShare);
            unit("--canary-max-fallback-increase", maxFallbackIncrease);
            unit("--canary-max-error-increase", maxErrorIncrease);
            if (soakMs < 0 || minTurns < 0 || minSamples < 1)
            {
                throw new IllegalArgumentException("--canary-soak-ms=" + soakMs + " --canary-min-turns=" + minTurns
                    + " --canary-min-samples=" + minSamples + " (expected: >= 0, >= 0, >= 1)");
            }
            if (!(maxP99Ratio >= 1.0))
            {
                throw new IllegalArgumentException("--canary-max-p99-ratio=" + maxP99Ratio + " (expected: >= 1)");
            }
        }

        private static void unit(final String name, final double value)
        {
            if (!(value >= 0 && value <= 1))
            {
                throw new IllegalArgumentException(name + "=" + value + " (expected: 0..1)");
            }
        }
    }

    /**
     * Where a candidate stands.
     */
    public enum State
    {
        /** No candidate: the stable model answers everyone. */
        IDLE,
        /** A candidate serves its cohort and is judged. */
        SOAKING,
        /** A candidate serves its cohort, but is neither promoted nor rolled back until resumed. */
        PAUSED
    }

    /**
     * A decision, for the operator and the logs.
     *
     * @param atMs    when, epoch milliseconds.
     * @param action  {@code promoted} or {@code rolled_back}.
     * @param version the candidate's version.
     * @param reason  why: {@code soak_passed}, {@code operator}, {@code p99}, {@code fallback}, {@code errors},
     *                {@code agreement}.
     * @param detail  the figures behind it.
     */
    public record Decision(long atMs, String action, String version, String reason, String detail)
    {
    }

    /**
     * A shadowed query on which the candidate disagreed with stable, kept for review.
     *
     * @param query     the normalised query.
     * @param stable    stable's intent id.
     * @param candidate the candidate's intent id.
     */
    public record Disagreement(String query, String stable, String candidate)
    {
    }

    /**
     * The figures of one cohort since the candidate arrived.
     *
     * @param turns     turns sent to the model (answered or fallen back).
     * @param fallbacks of those, turns that fell back for deadline or queue_full.
     * @param errors    of those, turns failed by the model.
     * @param answered  of those, turns the model answered (the P99's samples).
     * @param p99Ms     the model stage's P99, milliseconds; {@code NaN} before any answer.
     */
    public record Cohort(long turns, long fallbacks, long errors, long answered, double p99Ms)
    {
        /** @return fallbacks over turns, 0 with no turns. */
        public double fallbackShare()
        {
            return turns == 0 ? 0 : fallbacks / (double)turns;
        }

        /** @return errors over turns, 0 with no turns. */
        public double errorShare()
        {
            return turns == 0 ? 0 : errors / (double)turns;
        }
    }

    /**
     * A snapshot for operators.
     *
     * @param state            the state.
     * @param stableVersion    the stable model's version, or {@code null}.
     * @param candidateVersion the candidate's version, or {@code null}.
     * @param share            the canary share of users.
     * @param soakLeftMs       soak time left, 0 when over or idle.
     * @param stable           the stable cohort's figures.
     * @param canary           the canary cohort's figures.
     * @param shadowed         shadowed queries scored by the candidate.
     * @param agreement        the share of them on which it agreed with stable; {@code NaN} with none.
     * @param promotions       promotions so far.
     * @param rollbacks        rollbacks so far.
     * @param last             the last decision, or {@code null}.
     * @param disagreements    the latest disagreements on shadowed queries, newest last.
     */
    public record Status(State state, String stableVersion, String candidateVersion, double share, long soakLeftMs,
        Cohort stable, Cohort canary, long shadowed, double agreement, long promotions, long rollbacks, Decision last,
        List<Disagreement> disagreements)
    {
    }

    private final Settings settings;
    private final InferenceAgent agent;
    private final LongSupplier clockMs;
    private final Listener listener;
    private final CohortStats stableStats = new CohortStats();
    private final CohortStats canaryStats = new CohortStats();
    private final LongAdder shadowed = new LongAdder();
    private final LongAdder agreed = new LongAdder();
    private final LongAdder promotions = new LongAdder();
    private final LongAdder rollbacks = new LongAdder();
    private final LongAdder[] rollbacksByReason = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder(),
        new LongAdder()};
    private final ArrayDeque<Disagreement> disagreements = new ArrayDeque<>();
    private final long shareThreshold;
    private volatile State state = State.IDLE;
    private volatile long soakStartMs;
    private volatile Decision last;

    /** The reasons a rollback is counted by, in {@code ivbot_canary_rollbacks_total{reason}}. */
    public static final String[] ROLLBACK_REASONS = {"p99", "fallback", "errors", "agreement", "operator"};

    /**
     * Told of decisions, e.g. to tell the model repository which version serves.
     */
    public interface Listener
    {
        /**
         * @param version the promoted candidate's version.
         */
        void promoted(String version);

        /**
         * @param version the rolled-back candidate's version.
         * @param reason  why.
         */
        void rolledBack(String version, String reason);
    }

    /**
     * @param settings the settings; checked here.
     * @param agent    the inference agent that serves both versions.
     * @param clockMs  the wall clock, epoch milliseconds (tests pass their own).
     * @param listener told of promotions and rollbacks, after the agent has been told.
     */
    public CanaryController(final Settings settings, final InferenceAgent agent, final LongSupplier clockMs,
        final Listener listener)
    {
        settings.check();
        this.settings = settings;
        this.agent = agent;
        this.clockMs = clockMs;
        this.listener = listener;
        // users whose bucket (an unsigned 32-bit hash) is below this are in the canary cohort
        this.shareThreshold = Math.round(settings.share * (1L << 32));
    }

    /**
     * @return the settings.
     */
    public Settings settings()
    {
        return settings;
    }

    /**
     * Whether a user belongs to the canary cohort: a stable hash of the subject, so a user stays in one cohort for
     * the whole conversation (and across servers), or a {@code canary: true} claim. Pure; any thread.
     *
     * @param subject     the token's {@code sub}.
     * @param canaryClaim the token's {@code canary} claim.
     * @return true for the canary cohort (answered by the candidate while one serves).
     */
    public boolean inCanaryCohort(final String subject, final boolean canaryClaim)
    {
        return canaryClaim || bucket(subject) < shareThreshold;
    }

    /**
     * @param subject a user id.
     * @return its bucket: FNV-1a 64 over the UTF-8 bytes, mixed (SplitMix64's finaliser), top 32 bits unsigned.
     */
    static long bucket(final String subject)
    {
        long h = 0xcbf29ce484222325L;
        for (final byte b : subject.getBytes(StandardCharsets.UTF_8))
        {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 30;
        h *= 0xbf58476d1ce4e5b9L;
        h ^= h >>> 27;
        h *= 0x94d049bb133111ebL;
        h ^= h >>> 31;
        return h >>> 32;
    }

    /**
     * @return whether a candidate serves now.
     */
    public boolean hasCandidate()
    {
        return state != State.IDLE && agent.candidate() != null;
    }

    /**
     * @return the share of the stable cohort's model queries to shadow.
     */
    public double shadowShare()
    {
        return settings.shadowShare;
    }

    /**
     * Records a turn that was sent to a model (or would have been, had it not fallen back).
     *
     * @param canary    whether the turn was in the canary cohort (and a candidate was serving).
     * @param latencyUs the model stage, from the request's arrival to the classification, microseconds.
     * @param fallback  why the model did not answer, or {@code null}.
     */
    public void recordTurn(final boolean canary, final long latencyUs, final FallbackReason fallback)
    {
        if (state == State.IDLE)
        {
            return;
        }
        final CohortStats stats = canary ? canaryStats : stableStats;
        stats.turns.increment();
        if (fallback == FallbackReason.MODEL_ERROR)
        {
            stats.errors.increment();
        }
        else if (fallback == FallbackReason.DEADLINE || fallback == FallbackReason.QUEUE_FULL)
        {
            stats.fallbacks.increment();
        }
        else if (fallback == null)
        {
            stats.latencyUs.recordValue(Math.max(1, Math.min(HIGHEST_US, latencyUs)));
        }
    }

    /**
     * Records a shadowed query's outcome.
     *
     * @param query           the normalised query.
     * @param stableIntent    stable's intent id.
     * @param candidateIntent the candidate's intent id.
     */
    public void recordShadow(final String query, final String stableIntent, final String candidateIntent)
    {
        shadowed.increment();
        if (stableIntent.equals(candidateIntent))
        {
            agreed.increment();
            return;
        }
        synchronized (disagreements)
        {
            if (disagreements.size() == DISAGREEMENTS_KEPT)
            {
                disagreements.removeFirst();
            }
            disagreements.addLast(new Disagreement(query, stableIntent, candidateIntent));
        }
        LOG.info("shadow disagreement: '{}' stable {} candidate {}", query, stableIntent, candidateIntent);
    }

    /**
     * A version passed the dev-set gate: it becomes the candidate (replacing one still soaking), and the soak starts.
     *
     * @param candidate the new candidate; the agent owns it from now on.
     */
    public synchronized void onCandidate(final IntentModel candidate)
    {
        final IntentModel replaced = agent.candidate();
        if (replaced != null)
        {
            LOG.info("canary: candidate {} replaced by the newer {} before its soak ended", replaced.version(),
                candidate.version());
        }
        resetFigures();
        agent.setCandidate(candidate);
        soakStartMs = clockMs.getAsLong();
        state = State.SOAKING;
        LOG.info("canary: candidate {} serves {}% of users beside stable {}, soak {} s, at least {} canary turns",
            candidate.version(), String.format(Locale.ROOT, "%.1f", settings.share * 100),
            agent.model() == null ? "-" : agent.model().version(), settings.soakMs / 1000, settings.minTurns);
    }

    /**
     * Judges the candidate: rolls it back on a breach, promotes it after a clean soak. Call it periodically (the
     * model runtime does, every second) or from a test with its own clock.
     *
     * @return the decision taken, or {@code null}.
     */
    public synchronized Decision evaluate()
    {
        if (state != State.SOAKING || agent.candidate() == null)
        {
            return null;
        }
        final Cohort stable = stableStats.snapshot();
        final Cohort canary = canaryStats.snapshot();
        final long n = settings.minSamples;
        if (stable.turns >= n && canary.turns >= n)
        {
            if (canary.errorShare() > stable.errorShare() + settings.maxErrorIncrease)
            {
                return rollback("errors", String.format(Locale.ROOT, "model-error share %.4f, stable %.4f (+%.4f allowed)",
                    canary.errorShare(), stable.errorShare(), settings.maxErrorIncrease));
            }
            if (canary.fallbackShare() > stable.fallbackShare() + settings.maxFallbackIncrease)
            {
                return rollback("fallback", String.format(Locale.ROOT, "fallback share %.4f, stable %.4f (+%.4f allowed)",
                    canary.fallbackShare(), stable.fallbackShare(), settings.maxFallbackIncrease));
            }
        }
        if (stable.answered >= n && canary.answered >= n && canary.p99Ms > stable.p99Ms * settings.maxP99Ratio)
        {
            return rollback("p99", String.format(Locale.ROOT, "P99 %.2f ms, stable %.2f ms (x%.2f allowed)",
                canary.p99Ms, stable.p99Ms, settings.maxP99Ratio));
        }
        final long shadows = shadowed.sum();
        if (shadows >= n && agreed.sum() / (double)shadows < settings.minAgreement)
        {
            return rollback("agreement", String.format(Locale.ROOT, "agrees with stable on %.4f of %d shadowed queries (%.4f needed)",
                agreed.sum() / (double)shadows, shadows, settings.minAgreement));
        }
        if (clockMs.getAsLong() - soakStartMs >= settings.soakMs && canary.answered >= settings.minTurns)
        {
            return promote("soak_passed", String.format(Locale.ROOT,
                "%d canary turns, P99 %.2f ms (stable %.2f), fallback %.4f (%.4f), errors %.4f (%.4f), agreement %s",
                canary.turns, canary.p99Ms, stable.p99Ms, canary.fallbackShare(), stable.fallbackShare(),
                canary.errorShare(), stable.errorShare(),
                shadows == 0 ? "n/a" : String.format(Locale.ROOT, "%.4f of %d", agreed.sum() / (double)shadows, shadows)));
        }
        return null;
    }

    /**
     * The operator's promotion: the candidate becomes stable now, whatever its soak says.
     *
     * @return the decision, or {@code null} when no candidate serves.
     */
    public synchronized Decision promoteNow()
    {
        return agent.candidate() == null ? null : promote("operator", "promoted by an operator");
    }

    /**
     * The operator's rollback: the candidate stops serving now.
     *
     * @return the decision, or {@code null} when no candidate serves.
     */
    public synchronized Decision rollbackNow()
    {
        return agent.candidate() == null ? null : rollback("operator", "rolled back by an operator");
    }

    /**
     * Holds the candidate where it is: it keeps serving its cohort, and is neither promoted nor rolled back by the
     * soak until {@link #resume()}.
     *
     * @return whether a soaking candidate was paused.
     */
    public synchronized boolean pause()
    {
        if (state != State.SOAKING)
        {
            return false;
        }
        state = State.PAUSED;
        LOG.info("canary: paused by an operator");
        return true;
    }

    /**
     * Resumes a paused soak.
     *
     * @return whether a paused candidate was resumed.
     */
    public synchronized boolean resume()
    {
        if (state != State.PAUSED)
        {
            return false;
        }
        state = State.SOAKING;
        LOG.info("canary: resumed by an operator");
        return true;
    }

    /**
     * @return a snapshot for operators.
     */
    public Status status()
    {
        final IntentModel candidate = agent.candidate();
        final IntentModel stable = agent.model();
        final long shadows = shadowed.sum();
        final long left = state == State.IDLE ? 0 : Math.max(0, soakStartMs + settings.soakMs - clockMs.getAsLong());
        final List<Disagreement> recent;
        synchronized (disagreements)
        {
            recent = new ArrayList<>(disagreements);
        }
        return new Status(state, stable == null ? null : stable.version(), candidate == null ? null : candidate.version(),
            settings.share, left, stableStats.snapshot(), canaryStats.snapshot(), shadows,
            shadows == 0 ? Double.NaN : agreed.sum() / (double)shadows, promotions.sum(), rollbacks.sum(), last,
            List.copyOf(recent));
    }

    /**
     * @param reason one of {@link #ROLLBACK_REASONS}.
     * @return rollbacks for that reason so far.
     */
    public long rollbacks(final String reason)
    {
        for (int i = 0; i < ROLLBACK_REASONS.length; i++)
        {
            if (ROLLBACK_REASONS[i].equals(reason))
            {
                return rollbacksByReason[i].sum();
            }
        }
        throw new IllegalArgumentException("reason=" + reason + " (expected: one of " + List.of(ROLLBACK_REASONS) + ")");
    }

    /**
     * @param canary true for the canary cohort, false for stable.
     * @return that cohort's figures since the candidate arrived.
     */
    public Cohort cohort(final boolean canary)
    {
        return (canary ? canaryStats : stableStats).snapshot();
    }

    /** @return shadowed queries scored by the candidate since it arrived. */
    public long shadowed()
    {
        return shadowed.sum();
    }

    /** @return of those, the ones on which it agreed with stable. */
    public long shadowAgreed()
    {
        return agreed.sum();
    }

    /** @return promotions so far. */
    public long promotions()
    {
        return promotions.sum();
    }

    private Decision promote(final String reason, final String detail)
    {
        final String version = agent.candidate().version();
        agent.promoteCandidate();
        state = State.IDLE;
        promotions.increment();
        final Decision decision = new Decision(clockMs.getAsLong(), "promoted", version, reason, detail);
        last = decision;
        LOG.info("canary: {} promoted to stable ({}): {}", version, reason, detail);
        listener.promoted(version);
        return decision;
    }

    private Decision rollback(final String reason, final String detail)
    {
        final String version = agent.candidate().version();
        agent.dropCandidate();
        state = State.IDLE;
        rollbacks.increment();
        rollbacksByReason[List.of(ROLLBACK_REASONS).indexOf(reason)].increment();
        final Decision decision = new Decision(clockMs.getAsLong(), "rolled_back", version, reason, detail);
        last = decision;
        LOG.warn("canary: {} rolled back ({}): {}", version, reason, detail);
        listener.rolledBack(version, reason + ": " + detail);
        return decision;
    }

    private void resetFigures()
    {
        stableStats.reset();
        canaryStats.reset();
        shadowed.reset();
        agreed.reset();
        synchronized (disagreements)
        {
            disagreements.clear();
        }
    }

    /**
     * One cohort's counters and latency, accumulated since the candidate arrived.
     */
    private static final class CohortStats
    {
        final LongAdder turns = new LongAdder();
        final LongAdder fallbacks = new LongAdder();
        final LongAdder errors = new LongAdder();
        final Recorder latencyUs = new Recorder(1, HIGHEST_US, 3);
        private final Histogram total = new Histogram(1, HIGHEST_US, 3);
        private Histogram interval;

        synchronized Cohort snapshot()
        {
            interval = latencyUs.getIntervalHistogram(interval);
            total.add(interval);
            return new Cohort(turns.sum(), fallbacks.sum(), errors.sum(), total.getTotalCount(),
                total.getTotalCount() == 0 ? Double.NaN : total.getValueAtPercentile(99.0) / 1000.0);
        }

        synchronized void reset()
        {
            turns.reset();
            fallbacks.reset();
            errors.reset();
            latencyUs.reset();
            total.reset();
        }
    }
}
