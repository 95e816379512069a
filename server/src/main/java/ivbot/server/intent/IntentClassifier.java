package ivbot.server.intent;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
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
        this(() -> rules, agent, cacheSize, deadlineMs, strongTopic, rulesFirst, maxQueuedPerUser);
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
        this.cache = cacheSize > 0 ? Caffeine.newBuilder().maximumSize(cacheSize).build() : null;
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
        final String normalized = TextNormalizer.normalize(query);
        final IntentModel model = agent == null ? null : agent.model();
        if (model == null)
        {
            return CompletableFuture.completedFuture(fromRules(rules.get().classifyNormalized(normalized), FallbackReason.NO_MODEL));
        }
        if (cache != null)
        {
            cacheLookups.increment();
            final CachedTurn cached = cache.getIfPresent(normalized);
            if (cached != null && cached.prediction.modelVersion().equals(model.version()))
            {
                // the rules' match is a function of the normalised text, so the hit skips the rule engine too
                final Classification turn = fromModel(cached.match, cached.prediction, SOURCE_CACHE, model);
                if (SOURCE_CACHE.equals(turn.source()))
                {
                    // a hit is a reply whose source is cache: one below the threshold is answered by the rules
                    cacheHits.increment();
                }
                return CompletableFuture.completedFuture(turn);
            }
        }
        final RuleMatch match = rules.get().classifyNormalized(normalized);
        if (rulesFirst && ThresholdCalibration.rulesAnswerFirst(match.intent(), match.confidence(), model.rulesThreshold()))
        {
            return CompletableFuture.completedFuture(new Classification(match.intent(), match.intent(),
                match.confidence(), match.audience(), SOURCE_RULES, null, null));
        }
        if (!acquire(user))
        {
            return CompletableFuture.completedFuture(fromRules(match, FallbackReason.USER_SHARE));
        }
        final Pending pending = new Pending(match, normalized, model, user);
        final long now = System.nanoTime();
        final InferenceRequest request = new InferenceRequest(normalized, now, startNs + deadlineNs, loop, pending);
        final FallbackReason refused = agent.offer(request);
        if (refused != null)
        {
            release(user);
            return CompletableFuture.completedFuture(fromRules(match, refused));
        }
        pending.timer = loop.schedule(
            () -> request.complete(InferenceResult.fallback(FallbackReason.DEADLINE)),
            Math.max(0, startNs + deadlineNs - now), TimeUnit.NANOSECONDS);
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
        if (reason != null)
        {
            fallbacks[reason.ordinal()].increment();
        }
        return new Classification(match.intent(), match.intent(), match.confidence(), match.audience(),
            SOURCE_RULES, reason, null);
    }

    private Classification fromModel(final RuleMatch match, final Prediction prediction, final String source,
        final IntentModel model)
    {
        if (!ThresholdCalibration.modelTrusted(prediction.confidence(), model.threshold()))
        {
            return new Classification(match.intent(), match.intent(), match.confidence(), match.audience(),
                SOURCE_RULES, null, null);
        }
        final float topic = Float.isNaN(model.topicConfidence()) ? strongTopic : model.topicConfidence();
        final boolean namesTopic = match.intent() != null || prediction.confidence() >= topic;
        return new Classification(namesTopic ? prediction.intent() : null, prediction.intent(),
            prediction.confidence(), match.audience(), source, null, prediction.modelVersion(), prediction.margin());
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
        final String normalized;
        final IntentModel model;
        final String user;
        ScheduledFuture<?> timer;

        Pending(final RuleMatch match, final String normalized, final IntentModel model, final String user)
        {
            this.match = match;
            this.normalized = normalized;
            this.model = model;
            this.user = user;
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
            if (prediction != null)
            {
                if (cache != null)
                {
                    cache.put(normalized, new CachedTurn(prediction, match));
                }
                future.complete(fromModel(match, prediction, SOURCE_MODEL, model));
            }
            else
            {
                future.complete(fromRules(match, result.fallback()));
            }
        }
    }
}
