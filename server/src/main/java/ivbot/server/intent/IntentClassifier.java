package ivbot.server.intent;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import ivbot.inference.Intent;
import ivbot.inference.TextNormalizer;
import ivbot.inference.batch.FallbackReason;
import ivbot.inference.batch.InferenceAgent;
import ivbot.inference.batch.InferenceRequest;
import ivbot.inference.batch.InferenceResult;
import ivbot.inference.model.IntentModel;
import ivbot.inference.model.Prediction;
import ivbot.inference.rules.RuleClassifier;
import ivbot.inference.rules.RuleMatch;
import ivbot.inference.train.ThresholdCalibration;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Classifies a turn with the model where it can and the rule engine where it must. The rules always run
 * (they are cheap and give the audience and whether the turn names a topic at all); the model's answer
 * comes from the result cache or from the inference agent within the deadline. Where the rules name a
 * topic with at least the model's calibrated {@code rules_threshold}, they answer first and the model is
 * not asked. When the model is
 * absent, refuses the request, fails, or misses the deadline, the rules answer with the fallback reason.
 * Below the model's calibrated confidence threshold the rules answer too (or, when they name nothing, the
 * dialog asks a clarifying question). Both steps are {@link ThresholdCalibration}'s, the decision the
 * thresholds were calibrated for: {@link ThresholdCalibration#rulesAnswerFirst} before the model is asked,
 * {@link ThresholdCalibration#modelTrusted} after.
 * <p>
 * Thread-safe. {@link #classify} is called on an event loop and completes on that same loop: the agent
 * hands results back through the loop, and the deadline is a timer on the loop.
 */
public final class IntentClassifier
{
    /** Source of a model answer. */
    public static final String SOURCE_MODEL = "model";
    /** Source of a cached model answer. */
    public static final String SOURCE_CACHE = "cache";
    /** Source of a rule-engine answer. */
    public static final String SOURCE_RULES = "rules";

    private final Supplier<RuleClassifier> rules;
    private final InferenceAgent agent;
    private final Cache<String, CachedTurn> cache;
    private final long deadlineNs;
    private final float strongTopic;
    private final boolean rulesFirst;
    private final LongAdder cacheHits = new LongAdder();
    private final LongAdder cacheLookups = new LongAdder();
    private final LongAdder[] fallbacks = new LongAdder[FallbackReason.values().length];
    private final int maxQueuedPerUser;
    private final CanaryController canary;
    private final ConcurrentHashMap<String, Integer> queuedPerUser = new ConcurrentHashMap<>();

    /**
     * @param rules       the rule engine.
     * @param agent       the inference agent, or {@code null} to run on rules alone.
     * @param cacheSize   the most cached answers; 0 disables the cache.
     * @param deadlineMs  how long after its arrival a request may wait for the model.
     * @param strongTopic the model confidence above which a turn counts as naming its topic even when the
     *                    rules see none in it (otherwise such a turn continues the conversation's topic).
     */
    public IntentClassifier(final RuleClassifier rules, final InferenceAgent agent, final long cacheSize,
        final long deadlineMs, final float strongTopic)
    {
        this(rules, agent, cacheSize, deadlineMs, strongTopic, true);
    }

    /**
     * @param rules       the rule engine.
     * @param agent       the inference agent, or {@code null} to run on rules alone.
     * @param cacheSize   the most cached answers; 0 disables the cache.
     * @param deadlineMs  how long after its arrival a request may wait for the model.
     * @param strongTopic the model confidence above which a turn counts as naming its topic even when the
     *                    rules see none in it.
     * @param rulesFirst  whether confident rules answer before the model (the package's
     *                    {@code rules_threshold}); false sends every uncached query to the model.
     */
    public IntentClassifier(final RuleClassifier rules, final InferenceAgent agent, final long cacheSize,
        final long deadlineMs, final float strongTopic, final boolean rulesFirst)
    {
        this(rules, agent, cacheSize, deadlineMs, strongTopic, rulesFirst, Integer.MAX_VALUE);
    }

    /**
     * @param rules            the rule engine.
     * @param agent            the inference agent, or {@code null} to run on rules alone.
     * @param cacheSize        the most cached answers; 0 disables the cache.
     * @param deadlineMs       how long after its arrival a request may wait for the model.
     * @param strongTopic      the model confidence above which a turn counts as naming its topic even when
     *                         the rules see none in it.
     * @param rulesFirst       whether confident rules answer before the model.
     * @param maxQueuedPerUser the most model requests one user may have waiting at once: past it, that
     *                         user's turns fall back to the rules ({@code user_share}) while everyone else's
     *                         still reach the model; {@code Integer.MAX_VALUE} for no limit.
     */
    public IntentClassifier(final RuleClassifier rules, final InferenceAgent agent, final long cacheSize,
        final long deadlineMs, final float strongTopic, final boolean rulesFirst, final int maxQueuedPerUser)
    {
        this(() -> rules, agent, cacheSize, deadlineMs, strongTopic, rulesFirst, maxQueuedPerUser, null);
    }

    /**
     * @param rules            supplies the rule engine in service (it is replaced with the catalog, see
     *                         {@code ServingSnapshots}); read once per turn, on the event loop.
     * @param agent            the inference agent, or {@code null} to run on rules alone.
     * @param cacheSize        the most cached answers; 0 disables the cache.
     * @param deadlineMs       how long after its arrival a request may wait for the model.
     * @param strongTopic      the model confidence above which a turn counts as naming its topic even when
     *                         the rules see none in it.
     * @param rulesFirst       whether confident rules answer before the model.
     * @param maxQueuedPerUser the most model requests one user may have waiting at once; see above.
     */
    public IntentClassifier(final Supplier<RuleClassifier> rules, final InferenceAgent agent, final long cacheSize,
        final long deadlineMs, final float strongTopic, final boolean rulesFirst, final int maxQueuedPerUser)
    {
        this(rules, agent, cacheSize, deadlineMs, strongTopic, rulesFirst, maxQueuedPerUser, null);
    }

    /**
     * @param rules            supplies the rule engine in service; read once per turn, on the event loop.
     * @param agent            the inference agent, or {@code null} to run on rules alone.
     * @param cacheSize        the most cached answers; 0 disables the cache.
     * @param deadlineMs       how long after its arrival a request may wait for the model.
     * @param strongTopic      the model confidence above which a turn counts as naming its topic even when
     *                         the rules see none in it.
     * @param rulesFirst       whether confident rules answer before the model.
     * @param maxQueuedPerUser the most model requests one user may have waiting at once.
     * @param canary           routes the canary cohort to the candidate and judges it, or {@code null} for no
     *                         canaries (a new version then replaces the stable one at once).
     */
    public IntentClassifier(final Supplier<RuleClassifier> rules, final InferenceAgent agent, final long cacheSize,
        final long deadlineMs, final float strongTopic, final boolean rulesFirst, final int maxQueuedPerUser,
        final CanaryController canary)
    {
        this.canary = canary;
        if (deadlineMs <= 0)
        {
            throw new IllegalArgumentException("deadlineMs=" + deadlineMs + " (expected: > 0)");
        }
        if (maxQueuedPerUser <= 0)
        {
            throw new IllegalArgumentException("maxQueuedPerUser=" + maxQueuedPerUser + " (expected: > 0)");
        }
        this.maxQueuedPerUser = maxQueuedPerUser;
        this.rules = rules;
        this.agent = agent;
        this.cache = cacheSize > 0 ? Caffeine.newBuilder().executor(Runnable::run).maximumSize(cacheSize).build() : null;
        this.deadlineNs = TimeUnit.MILLISECONDS.toNanos(deadlineMs);
        this.strongTopic = strongTopic;
        this.rulesFirst = rulesFirst;
        for (int i = 0; i < fallbacks.length; i++)
        {
            fallbacks[i] = new LongAdder();
        }
    }

    /**
     * @return the inference agent, or {@code null}.
     */
    public InferenceAgent agent()
    {
        return agent;
    }

    /** @return cache lookups so far. */
    public long cacheLookups()
    {
        return cacheLookups.sum();
    }

    /** @return cache hits so far: lookups answered with source {@code cache} (not those the rules answered). */
    public long cacheHits()
    {
        return cacheHits.sum();
    }

    /**
     * @param reason a fallback reason.
     * @return how many turns fell back for it.
     */
    public long fallbacks(final FallbackReason reason)
    {
        return fallbacks[reason.ordinal()].sum();
    }

    /**
     * Empties the result cache, e.g. after a model swap.
     */
    public void clearCache()
    {
        if (cache != null)
        {
            cache.invalidateAll();
        }
    }

    /**
     * @param query   the raw query.
     * @param loop    the caller's event loop: results and the deadline timer run there.
     * @param startNs {@link System#nanoTime()} when the request arrived; the deadline counts from it.
     * @return the classification; never fails.
     */
    public CompletableFuture<Classification> classify(final String query, final ScheduledExecutorService loop, final long startNs)
    {
        return classify(query, "", loop, startNs);
    }

    /**
     * @param query   the raw query.
     * @param user    the caller's subject, for its fair share of the inference queue.
     * @param loop    the caller's event loop: results and the deadline timer run there.
     * @param startNs {@link System#nanoTime()} when the request arrived; the deadline counts from it.
     * @return the classification; never fails.
     */
    public CompletableFuture<Classification> classify(final String query, final String user,
        final ScheduledExecutorService loop, final long startNs)
    {
        return classify(query, null, user, loop, startNs);
    }

    /**
     * @return true when the model in service reads the conversation ({@link IntentModel#readsContext()}): the
     *         caller should then pass the session's topic to {@link #classify(String, Intent, String,
     *         ScheduledExecutorService, long)}, which means reading the session first.
     */
    public boolean readsContext()
    {
        final IntentModel model = agent == null ? null : agent.model();
        return model != null && model.readsContext();
    }

    /**
     * Classifies a turn in its conversation. When the model {@link IntentModel#readsContext() reads context} and
     * there is a topic, the model sees the pair (topic, query) and decides between "continues the topic" and
     * "names another": the rules do not answer first (their keywords are what a follow-up such as 工资照发吗 after
     * a parental-leave question gets wrong), and a trusted answer names the turn's intent outright. The rules
     * still give the audience, and answer when the model cannot (fallbacks) or is not sure (below its threshold,
     * where the multi-turn rules decide as without a model).
     *
     * @param query   the raw query.
     * @param topic   the session's topic before this turn, or {@code null} for none.
     * @param user    the caller's subject, for its fair share of the inference queue.
     * @param loop    the caller's event loop: results and the deadline timer run there.
     * @param startNs {@link System#nanoTime()} when the request arrived; the deadline counts from it.
     * @return the classification; never fails.
     */
    public CompletableFuture<Classification> classify(final String query, final Intent topic, final String user,
        final ScheduledExecutorService loop, final long startNs)
    {
        return classify(query, topic, user, false, loop, startNs);
    }

    /**
     * @return the canary controller, or {@code null} when canaries are off.
     */
    public CanaryController canary()
    {
        return canary;
    }

    /**
     * Classifies a turn in its conversation, in its user's cohort: while a candidate serves, a user of the canary
     * cohort ({@link CanaryController#inCanaryCohort}) is answered by the candidate.
     *
     * @param query       the raw query.
     * @param topic       the session's topic before this turn, or {@code null} for none.
     * @param user        the caller's subject: its fair share of the inference queue, and its cohort.
     * @param canaryClaim the token's {@code canary} claim: always the canary cohort.
     * @param loop        the caller's event loop: results and the deadline timer run there.
     * @param startNs     {@link System#nanoTime()} when the request arrived; the deadline counts from it.
     * @return the classification; never fails.
     */
    public CompletableFuture<Classification> classify(final String query, final Intent topic, final String user,
        final boolean canaryClaim, final ScheduledExecutorService loop, final long startNs)
    {
        return classify(query, topic, user, canaryClaim, loop, startNs, Long.MAX_VALUE);
    }

    /**
     * The latest time a request may wait for the model when {@code queuedBehind} requests of the same connection
     * wait behind it, the oldest of them since {@code oldestQueuedNs}: an equal share, with this one, of what is
     * left of the oldest one's deadline. A connection answers in order, so every minute its head waits for the
     * model, all of its queue waits too; with shares, a pipelining client under overload gets the model for as
     * many of its requests as fit and the rules at once for the rest, where whole deadlines one after another
     * would hold every request about a deadline. {@link Long#MAX_VALUE} (no limit beyond the request's own
     * deadline) when nothing waits behind it. Any thread.
     *
     * @param nowNs          {@link System#nanoTime()} now.
     * @param queuedBehind   requests of the same connection waiting behind this one.
     * @param oldestQueuedNs {@link System#nanoTime()} when the oldest of them arrived.
     * @return the {@code answerByNs} for {@link #classify(String, Intent, String, boolean, ScheduledExecutorService,
     *         long, long)}.
     */
    public long connectionShare(final long nowNs, final int queuedBehind, final long oldestQueuedNs)
    {
        if (queuedBehind <= 0)
        {
            return Long.MAX_VALUE;
        }
        final long leftNs = Math.max(0, oldestQueuedNs + deadlineNs - nowNs);
        return nowNs + leftNs / (queuedBehind + 1);
    }

    /**
     * As {@link #classify(String, Intent, String, boolean, ScheduledExecutorService, long)}, with a model answer
     * due by {@code answerByNs} if that comes before the request's own deadline: the model is not asked when it
     * is not expected to answer by then ({@code queue_full}), and the rules answer then if it has not
     * ({@code deadline}).
     *
     * @param query       the raw query.
     * @param topic       the session's topic before this turn, or {@code null} for none.
     * @param user        the caller's subject: its fair share of the inference queue, and its cohort.
     * @param canaryClaim the token's {@code canary} claim: always the canary cohort.
     * @param loop        the caller's event loop: results and the deadline timer run there.
     * @param startNs     {@link System#nanoTime()} when the request arrived; the deadline counts from it.
     * @param answerByNs  {@link System#nanoTime()} by which the answer is due at the latest, e.g. a
     *                    {@link #connectionShare}; {@link Long#MAX_VALUE} for none.
     * @return the classification; never fails.
     */
    public CompletableFuture<Classification> classify(final String query, final Intent topic, final String user,
        final boolean canaryClaim, final ScheduledExecutorService loop, final long startNs, final long answerByNs)
    {
        final String normalized = TextNormalizer.normalize(query);
        final IntentModel stable = agent == null ? null : agent.model();
        if (stable == null)
        {
            return CompletableFuture.completedFuture(fromRules(rules.get().classifyNormalized(normalized), FallbackReason.NO_MODEL));
        }
        final IntentModel candidate = canary != null && canary.hasCandidate() && canary.inCanaryCohort(user, canaryClaim) ?
            agent.candidate() : null;
        final IntentModel model = candidate != null ? candidate : stable;
        final String context = topic != null && model.readsContext() ? topic.zh() : null;
        // U+0001 and U+0002 never survive normalisation, so a pair's key cannot equal a single question's, and the
        // candidate's entries (keyed by its version) never displace stable's
        final String single = context == null ? normalized : context + '\u0001' + normalized;
        final String key = candidate == null ? single : candidate.version() + '\u0002' + single;
        if (cache != null)
        {
            cacheLookups.increment();
            final CachedTurn cached = cache.getIfPresent(key);
            if (cached != null && cached.prediction.modelVersion().equals(model.version()))
            {
                // the rules' match is a function of the normalised text, so the hit skips the rule engine too
                final Classification turn = fromModel(cached.match, cached.prediction, SOURCE_CACHE, model, context != null,
                    candidate != null);
                if (SOURCE_CACHE.equals(turn.source()))
                {
                    // a hit is a reply whose source is cache: one below the threshold is answered by the rules
                    cacheHits.increment();
                }
                return CompletableFuture.completedFuture(turn);
            }
        }
        final RuleMatch match = rules.get().classifyNormalized(normalized);
        if (rulesFirst && context == null && ThresholdCalibration.rulesAnswerFirst(match.intent(), match.confidence(), model.rulesThreshold()))
        {
            return CompletableFuture.completedFuture(new Classification(match.intent(), match.intent(),
                match.confidence(), match.audience(), SOURCE_RULES, null, null, 0f, candidate != null));
        }
        final long now = System.nanoTime();
        final long dueNs = Math.min(startNs + deadlineNs, answerByNs);
        final long expectedWaitNs = agent.expectedWaitNs();
        // due before the model is expected to answer (a connection's share, or a deadline mostly spent waiting
        // behind the connection's earlier requests): the model's work would be wasted. An estimate beyond a whole
        // deadline is not trusted here (it learns only from batches that run; the agent admits on an empty queue)
        if (expectedWaitNs < deadlineNs && now + expectedWaitNs > dueNs)
        {
            recordTurn(candidate != null, startNs, FallbackReason.QUEUE_FULL);
            return CompletableFuture.completedFuture(fromRules(match, FallbackReason.QUEUE_FULL, candidate != null));
        }
        if (!acquire(user))
        {
            return CompletableFuture.completedFuture(fromRules(match, FallbackReason.USER_SHARE, candidate != null));
        }
        final Pending pending = new Pending(match, key, context, normalized, model, user, candidate != null, startNs, loop);
        final InferenceRequest request = new InferenceRequest(context, normalized,
            candidate != null ? InferenceRequest.CANARY : InferenceRequest.STABLE, now, dueNs, loop, pending);
        final FallbackReason refused = agent.offer(request);
        if (refused != null)
        {
            release(user);
            recordTurn(candidate != null, startNs, refused);
            return CompletableFuture.completedFuture(fromRules(match, refused, candidate != null));
        }
        pending.timer = loop.schedule(
            () -> request.complete(InferenceResult.fallback(FallbackReason.DEADLINE)),
            Math.max(0, dueNs - now), TimeUnit.NANOSECONDS);
        return pending.future;
    }

    private boolean acquire(final String user)
    {
        if (maxQueuedPerUser == Integer.MAX_VALUE)
        {
            return true;
        }
        final boolean[] admitted = new boolean[1];
        queuedPerUser.compute(user, (k, queued) ->
        {
            final int n = queued == null ? 0 : queued;
            if (n >= maxQueuedPerUser)
            {
                return queued;
            }
            admitted[0] = true;
            return n + 1;
        });
        return admitted[0];
    }

    private void release(final String user)
    {
        if (maxQueuedPerUser != Integer.MAX_VALUE)
        {
            queuedPerUser.computeIfPresent(user, (k, queued) -> queued <= 1 ? null : queued - 1);
        }
    }

    /**
     * @param user a subject.
     * @return that user's model requests waiting now (0 when the per-user limit is off).
     */
    public int queued(final String user)
    {
        final Integer queued = queuedPerUser.get(user);
        return queued == null ? 0 : queued;
    }

    private Classification fromRules(final RuleMatch match, final FallbackReason reason)
    {
        return fromRules(match, reason, false);
    }

    private Classification fromRules(final RuleMatch match, final FallbackReason reason, final boolean inCanary)
    {
        if (reason != null)
        {
            fallbacks[reason.ordinal()].increment();
        }
        return new Classification(match.intent(), match.intent(), match.confidence(), match.audience(),
            SOURCE_RULES, reason, null, 0f, inCanary);
    }

    private void recordTurn(final boolean inCanary, final long startNs, final FallbackReason fallback)
    {
        if (canary != null)
        {
            canary.recordTurn(inCanary, (System.nanoTime() - startNs) / 1000, fallback);
        }
    }

    private Classification fromModel(final RuleMatch match, final Prediction prediction, final String source,
        final IntentModel model, final boolean inContext, final boolean inCanary)
    {
        if (!ThresholdCalibration.modelTrusted(prediction.confidence(), model.threshold()))
        {
            return new Classification(match.intent(), match.intent(), match.confidence(), match.audience(),
                SOURCE_RULES, null, null, 0f, inCanary);
        }
        if (inContext)
        {
            // the model read the topic: its intent is the turn's, a continuation or a new topic alike
            return new Classification(prediction.intent(), prediction.intent(), prediction.confidence(), match.audience(),
                source, null, prediction.modelVersion(), prediction.margin(), inCanary);
        }
        final float topic = Float.isNaN(model.topicConfidence()) ? strongTopic : model.topicConfidence();
        final boolean namesTopic = match.intent() != null || prediction.confidence() >= topic;
        return new Classification(namesTopic ? prediction.intent() : null, prediction.intent(),
            prediction.confidence(), match.audience(), source, null, prediction.modelVersion(), prediction.margin(),
            inCanary);
    }

    /**
     * Has the candidate also score a stable answer's query, off the hot path: only while a candidate serves, for
     * the sampled share, and only when the inference queue is short (shadows are the first thing dropped under
     * load); the stable reply never waits for it.
     */
    private void maybeShadow(final String context, final String normalized, final Prediction stableAnswer,
        final ScheduledExecutorService loop)
    {
        final IntentModel candidate = agent.candidate();
        if (candidate == null || !canary.hasCandidate() ||
            java.util.concurrent.ThreadLocalRandom.current().nextDouble() >= canary.shadowShare() ||
            agent.queueDepth() >= candidate.maxBatchSize())
        {
            return;
        }
        final String stableIntent = stableAnswer.intent().id();
        final long now = System.nanoTime();
        final InferenceRequest shadow = new InferenceRequest(context, normalized, InferenceRequest.SHADOW, now,
            now + deadlineNs, loop, result ->
            {
                if (result.prediction() != null)
                {
                    canary.recordShadow(normalized, stableIntent, result.prediction().intent().id());
                }
            });
        agent.offer(shadow);
    }

    /**
     * A cache entry: the model's prediction and the rules' match for one normalised query.
     */
    private record CachedTurn(Prediction prediction, RuleMatch match)
    {
    }

    /**
     * The callback of one model request: cancels the deadline timer and completes the future.
     * Runs on the request's event loop.
     */
    private final class Pending implements Consumer<InferenceResult>
    {
        final CompletableFuture<Classification> future = new CompletableFuture<>();
        final RuleMatch match;
        final String key;
        final String context;
        final String normalized;
        final IntentModel model;
        final String user;
        final boolean inCanary;
        final long startNs;
        final ScheduledExecutorService loop;
        ScheduledFuture<?> timer;

        Pending(final RuleMatch match, final String key, final String context, final String normalized,
            final IntentModel model, final String user, final boolean inCanary, final long startNs,
            final ScheduledExecutorService loop)
        {
            this.match = match;
            this.key = key;
            this.context = context;
            this.normalized = normalized;
            this.model = model;
            this.user = user;
            this.inCanary = inCanary;
            this.startNs = startNs;
            this.loop = loop;
        }

        @Override
        public void accept(final InferenceResult result)
        {
            release(user);
            if (timer != null)
            {
                timer.cancel(false);
            }
            final Prediction prediction = result.prediction();
            recordTurn(inCanary, startNs, prediction != null ? null : result.fallback());
            if (prediction != null)
            {
                if (cache != null)
                {
                    cache.put(key, new CachedTurn(prediction, match));
                }
                future.complete(fromModel(match, prediction, SOURCE_MODEL, model, context != null, inCanary));
                if (canary != null && !inCanary)
                {
                    maybeShadow(context, normalized, prediction, loop);
                }
            }
            else
            {
                future.complete(fromRules(match, result.fallback(), inCanary));
            }
        }
    }
}
