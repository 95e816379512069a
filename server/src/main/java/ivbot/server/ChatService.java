package ivbot.server;

import io.netty.util.concurrent.EventExecutor;
import ivbot.inference.Audience;
import ivbot.inference.batch.FallbackReason;
import ivbot.inference.Intent;
import ivbot.proto.ChatReply;
import ivbot.proto.ChatRequest;
import ivbot.proto.Explanation;
import ivbot.server.auth.Principal;
import ivbot.server.dialog.DialogManager;
import ivbot.server.dialog.TurnResolution;
import ivbot.server.explain.Explainer;
import ivbot.server.intent.Classification;
import ivbot.server.intent.IntentClassifier;
import ivbot.server.kb.KnowledgeBase;
import ivbot.server.metrics.ServerMetrics;
import ivbot.server.metrics.Stage;
import ivbot.server.events.TurnEvents;
import ivbot.server.events.TurnRecord;
import ivbot.server.session.Session;
import ivbot.server.session.SessionIds;
import ivbot.server.session.SessionStore;
import ivbot.server.session.SessionConflictException;
import ivbot.server.session.SessionStoreUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One chat turn from request to reply, shared by the HTTP and protobuf transports: validate, read the
 * session, classify, resolve the turn against the session, answer from the knowledge base, write the
 * session, reply. Failures the client caused complete the future with a {@link ChatException}.
 * <p>
 * Thread-safe. Called on an event loop, and a turn's logic (ownership check, dialog, knowledge base, reply
 * building) runs on that same loop whatever the store does: a store's completion on a Redis I/O thread hops
 * back to the loop once, explicitly (see {@link #onLoop}); the returned future completes on the loop, so the
 * transport encodes there too. Only session-latency recording may run on a Redis I/O thread.
 */
public final class ChatService
{
    /**
     * The longest query accepted, in Unicode code points.
     */
    public static final int MAX_QUERY_CHARS = 512;

    /**
     * The message of a turn that could not be recorded: HTTP 503 with Retry-After, or an Error frame.
     */
    public static final String BUSY_MESSAGE = "系统繁忙,请稍候";

    /**
     * The message of an explain request refused because explanations are under way: HTTP 503 with
     * Retry-After, or an Error frame; the same query without {@code explain} is answered.
     */
    public static final String EXPLAIN_BUSY_MESSAGE = "解释功能繁忙,请稍后再试(不带 explain 的提问不受影响)";

    private static final Logger LOG = LoggerFactory.getLogger(ChatService.class);
    private static final long LOG_INTERVAL_NS = 10_000_000_000L;

    private final SessionStore store;
    private final IntentClassifier classifier;
    private final DialogManager dialog;
    private final Supplier<KnowledgeBase> knowledgeBase;
    private final LongSupplier clockMs;
    private final ServerMetrics metrics;
    private final Consumer<TurnRecord> events;
    private final Explainer explainer;
    // one line per interval while a store is in trouble, not one per request
    private final LogThrottle readWarnings = new LogThrottle(LOG_INTERVAL_NS);
    private final LogThrottle writeWarnings = new LogThrottle(LOG_INTERVAL_NS);

    /**
     * @param store         the session store.
     * @param classifier    the intent classifier (model with rule fallback).
     * @param dialog        the multi-turn resolver.
     * @param knowledgeBase supplies the knowledge-base snapshot in service.
     * @param clockMs       wall clock in epoch milliseconds.
     * @param metrics       where session latencies and session errors are recorded (the transports record
     *                      replies and errors in the same one).
     */
    public ChatService(
        final SessionStore store,
        final IntentClassifier classifier,
        final DialogManager dialog,
        final Supplier<KnowledgeBase> knowledgeBase,
        final LongSupplier clockMs,
        final ServerMetrics metrics)
    {
        this(store, classifier, dialog, knowledgeBase, clockMs, metrics, record -> { }, null);
    }

    /**
     * @param store         the session store.
     * @param classifier    the intent classifier (model with rule fallback).
     * @param dialog        the multi-turn resolver.
     * @param knowledgeBase supplies the knowledge-base snapshot in service, and with it the catalog: read
     *                      once per turn; a session's topic and the turn's intent are looked up in its
     *                      catalog by id, and one it lacks reads as no topic.
     * @param clockMs       wall clock in epoch milliseconds.
     * @param metrics       where session latencies and session errors are recorded.
     * @param events        takes the record of every answered turn, on the event loop; must not block
     *                      (an {@link ivbot.server.events.EventLog}'s offer).
     * @param explainer     explains the turns that ask for it ({@code "explain": true}); {@code null} when the
     *                      server has no model (their explanation then says {@code skipped: "no_model"}).
     */
    public ChatService(
        final SessionStore store,
        final IntentClassifier classifier,
        final DialogManager dialog,
        final Supplier<KnowledgeBase> knowledgeBase,
        final LongSupplier clockMs,
        final ServerMetrics metrics,
        final Consumer<TurnRecord> events,
        final Explainer explainer)
    {
        if (metrics == null)
        {
            throw new IllegalArgumentException("metrics=null (expected: non-null)");
        }
        this.metrics = metrics;
        this.events = events;
        this.store = store;
        this.classifier = classifier;
        this.dialog = dialog;
        this.knowledgeBase = knowledgeBase;
        this.clockMs = clockMs;
        this.explainer = explainer;
    }

    /**
     * @return the canary controller of the classifier, or {@code null} when canaries are off.
     */
    public ivbot.server.intent.CanaryController canary()
    {
        return classifier.canary();
    }

    /**
     * @return the catalog in service now.
     */
    public ivbot.inference.IntentCatalog catalog()
    {
        return knowledgeBase.get().catalog();
    }

    /**
     * @return the session store.
     */
    public SessionStore store()
    {
        return store;
    }

    /**
     * Answers one turn. The model request and the session read run at the same time.
     * <p>
     * With {@code explain}, the turn is exactly the same; its explanation is computed by the {@link Explainer}
     * beside the session write and attached to the reply. When the explainer has no place left, the request
     * fails at once with 503 {@code busy} ({@link #EXPLAIN_BUSY_MESSAGE}, retry after 1 s) and nothing of the
     * turn happens.
     *
     * @param principal  the authenticated caller.
     * @param request    the request; {@code request_id} is echoed.
     * @param startNanos {@link System#nanoTime()} when the request arrived, for {@code latency_ms} and the
     *                   model deadline.
     * @param loop       the caller's event loop, where model results and deadline timers run.
     * @return the reply, or a failed future holding a {@link ChatException}.
     */
    public CompletableFuture<ChatReply> chat(
        final Principal principal, final ChatRequest request, final long startNanos, final ScheduledExecutorService loop)
    {
        return chat(principal, request, startNanos, Long.MAX_VALUE, loop);
    }

    /**
     * @param queuedBehind   requests of the caller's connection waiting behind this one, answered after it.
     * @param oldestQueuedNs {@link System#nanoTime()} when the oldest of them arrived.
     * @return the time by which this request's model answer is due so that those behind it are still answered
     *         within their deadline ({@link IntentClassifier#connectionShare}); {@link Long#MAX_VALUE} when none
     *         wait. Any thread.
     */
    public long connectionShare(final int queuedBehind, final long oldestQueuedNs)
    {
        return classifier.connectionShare(System.nanoTime(), queuedBehind, oldestQueuedNs);
    }

    /**
     * As {@link #chat(Principal, ChatRequest, long, ScheduledExecutorService)}, with the model answer due by
     * {@code answerByNanos} at the latest (the rules answer after it): a connection's share of the deadline
     * ({@link #connectionShare}).
     *
     * @param principal     the authenticated caller.
     * @param request       the request; {@code request_id} is echoed.
     * @param startNanos    {@link System#nanoTime()} when the request arrived, for {@code latency_ms} and the
     *                      model deadline.
     * @param answerByNanos {@link System#nanoTime()} by which a model answer is due, {@link Long#MAX_VALUE} for
     *                      no limit beyond the deadline.
     * @param loop          the caller's event loop, where model results and deadline timers run.
     * @return the reply, or a failed future holding a {@link ChatException}.
     */
    public CompletableFuture<ChatReply> chat(final Principal principal, final ChatRequest request, final long startNanos,
        final long answerByNanos, final ScheduledExecutorService loop)
    {
        if (!request.getExplain() || explainer == null)
        {
            return turn(principal, request, startNanos, answerByNanos, loop, null);
        }
        // refused before anything of the turn happens, so that a retry does not add a turn to the session
        final Explainer.Permit permit = explainer.tryAcquire();
        if (permit == null)
        {
            return CompletableFuture.failedFuture(new ChatException(503, "busy", EXPLAIN_BUSY_MESSAGE, 1));
        }
        final CompletableFuture<ChatReply> reply = turn(principal, request, startNanos, answerByNanos, loop, permit);
        // a turn that failed before its explanation started gives the place back
        reply.whenComplete((r, error) -> permit.release());
        return reply;
    }

    private CompletableFuture<ChatReply> turn(final Principal principal, final ChatRequest request,
        final long startNanos, final long answerByNanos, final ScheduledExecutorService loop, final Explainer.Permit permit)
    {
        final String query = request.getQuery().strip();
        if (query.isEmpty())
        {
            return CompletableFuture.failedFuture(ChatException.badRequest("query is missing or empty"));
        }
        if (query.codePointCount(0, query.length()) > MAX_QUERY_CHARS)
        {
            return CompletableFuture.failedFuture(
                ChatException.badRequest("query exceeds " + MAX_QUERY_CHARS + " characters"));
        }
        final Audience callerAudience;
        try
        {
            callerAudience = parseAudience(request.getAudience());
        }
        catch (final ChatException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }

        final String requestedId = request.getSessionId();
        if (!requestedId.isEmpty() && !SessionIds.isWellFormed(requestedId))
        {
            return CompletableFuture.failedFuture(ChatException.badRequest(
                "malformed session_id (expected: 8 to 64 characters of A-Z, a-z, 0-9, '_' and '-')"));
        }
        if (requestedId.isEmpty())
        {
            final String sessionId = SessionIds.newId();
            return classifier.classify(query, null, principal.subject(), principal.canary(), loop, startNanos, answerByNanos)
                .thenComposeAsync(
                    turn -> answer(principal, request, turn, callerAudience, sessionId, null, false, startNanos, loop, permit),
                    onLoop(loop));
        }
        final long readStartNs = System.nanoTime();
        final CompletableFuture<Loaded> loaded = store.load(requestedId).handle((session, error) ->
        {
            metrics.record(Stage.SESSION_READ, (System.nanoTime() - readStartNs) / 1000);
            if (error != null)
            {
                metrics.recordSessionError();
                if (readWarnings.tryAcquire())
                {
                    LOG.warn("session {} unreadable, answering without context: {} ({} such warnings suppressed)",
                        requestedId, error.toString(), readWarnings.suppressed());
                }
                return new Loaded(null, true);
            }
            return new Loaded(session, false);
        });
        // a model that reads the conversation needs the session's topic first; any other runs beside the read
        final CompletableFuture<Classification> classified = classifier.readsContext() ?
            loaded.thenComposeAsync(state -> classifier.classify(
                query, topicOf(state.session, principal), principal.subject(), principal.canary(), loop, startNanos,
                answerByNanos),
                onLoop(loop)) :
            classifier.classify(query, null, principal.subject(), principal.canary(), loop, startNanos, answerByNanos);
        // the session read may finish last, on a Redis I/O thread: the turn continues on the loop
        return loaded.thenCombineAsync(classified, (state, turn) ->
        {
            if (state.session != null && !state.session.user().equals(principal.subject()))
            {
                return CompletableFuture.<ChatReply>failedFuture(ChatException.forbidden("session belongs to another user"));
            }
            if (state.session != null && state.session.isEvicted())
            {
                // removed to make room while it was still alive: start over, and say the context is gone
                return answer(principal, request, turn, callerAudience, requestedId, null, true, startNanos, loop, permit);
            }
            return answer(principal, request, turn, callerAudience, requestedId, state.session, state.contextLost,
                startNanos, loop, permit);
        }, onLoop(loop)).thenCompose(f -> f);
    }

    private record Loaded(Session session, boolean contextLost)
    {
    }

    private String cohortOf(final Classification classification)
    {
        if (classification.canary())
        {
            return "canary";
        }
        final ivbot.server.intent.CanaryController canary = classifier.canary();
        return canary != null && canary.hasCandidate() ? "stable" : "";
    }

    private Intent topicOf(final Session session, final Principal principal)
    {
        // another user's session, or one evicted, is not this turn's context (the turn fails or starts over); a
        // topic the catalog in service no longer has is none
        return session == null || session.isEvicted() || !session.user().equals(principal.subject()) ?
            null : session.withIntentIn(knowledgeBase.get().catalog()).intent();
    }

    private CompletableFuture<ChatReply> answer(
        final Principal principal,
        final ChatRequest request,
        final Classification classification,
        final Audience callerAudience,
        final String sessionId,
        final Session session,
        final boolean contextLost,
        final long startNanos,
        final ScheduledExecutorService loop,
        final Explainer.Permit permit)
    {
        final KnowledgeBase kb = knowledgeBase.get();
        final TurnResolution turn = dialog.resolve(session == null ? null : session.withIntentIn(kb.catalog()),
            classification, callerAudience, principal.track());
        final String answer = answerText(kb, turn);
        final int turns = session == null ? 1 : session.turns() + 1;
        final Session next = new Session(
            sessionId, principal.subject(), turn.topic(), turn.audience(), turns, clockMs.getAsLong());

        final ChatReply.Builder reply = ChatReply.newBuilder()
            .setRequestId(request.getRequestId())
            .setSessionId(sessionId)
            .setAnswer(answer)
            .setIntent(turn.intent() == null ? kb.catalog().fallback().id() : turn.intent().id())
            .setAudience(turn.audience() == null ? "" : turn.audience().id())
            .setConfidence(turn.confidence())
            .setSource(classification.source())
            .setTurn(turns);
        if (classification.fallback() != null)
        {
            reply.setFallbackReason(classification.fallback().id());
        }
        if (classification.modelVersion() != null)
        {
            reply.setModelVersion(classification.modelVersion());
        }

        // explained beside the session write, with the context the classifier had: the session's topic
        final CompletableFuture<Explanation> explanation = !request.getExplain() ? null : permit == null ?
            CompletableFuture.completedFuture(Explainer.skipped(Explainer.NO_MODEL)) :
            explainer.explain(permit, session == null || session.intent() == null ? null : session.intent().zh(),
                request.getQuery(), reply.getIntent(), loop);
        final long writeStartNs = System.nanoTime();
        // not understood: no topic, the fallback intent, a new topic named unsurely, or the rules standing in for a
        // model that could not answer (a server without a model is answered by its rules as a matter of course: no
        // stand-in); a follow-up that keeps the session's topic ("那实习生呢") is understood by the multi-turn rules
        final boolean unknown = turn.intent() == null || turn.intent().equals(kb.catalog().fallback())
            || turn.rule() == TurnResolution.Rule.NEW_TOPIC && turn.confidence() < TurnEvents.UNSURE_BELOW
            || classification.fallback() != null && classification.fallback() != FallbackReason.NO_MODEL;
        // the write's completion comes on a Redis I/O thread: the reply is built (and later encoded) on the loop
        final CompletableFuture<ChatReply> written = store.save(next).handleAsync((ignored, error) ->
        {
            metrics.record(Stage.SESSION_WRITE, (System.nanoTime() - writeStartNs) / 1000);
            final boolean storeDown = error != null && SessionStoreUnavailableException.isCause(error);
            if (error != null)
            {
                if (isConflict(error))
                {
                    // another user owns this id (two users raced on one new client-chosen id): nothing was written
                    throw ChatException.conflict("session_id is in use by another user; start a new session");
                }
                metrics.recordSessionError();
                if (!storeDown)
                {
                    // the turn is not acknowledged: an answer whose context was not kept would be lost
                    if (writeWarnings.tryAcquire())
                    {
                        LOG.warn("session {} not written: {} ({} such warnings suppressed)", sessionId, error.toString(),
                            writeWarnings.suppressed());
                    }
                    throw ChatException.busy(BUSY_MESSAGE);
                }
                // the store is down (nothing was attempted): go on without context, and say so
                LOG.debug("session {} not written, store down: {}", sessionId, error.toString());
            }
            // latency_ms: from the full request's arrival at the handler to this reply built on the loop, after
            // the session write; the transport's encoding and the socket write come after it
            final long builtNs = System.nanoTime();
            final ChatReply built = reply
                .setContextLost(contextLost || storeDown)
                .setLatencyMs((builtNs - startNanos) / 1_000_000.0)
                .build();
            events.accept(new TurnRecord(clockMs.getAsLong(), sessionId, principal.subject(), turns, request.getQuery(),
                built.getIntent(), built.getAudience(), built.getConfidence(), classification.margin(), built.getSource(),
                built.getFallbackReason(), built.getModelVersion(), built.getLatencyMs(), built.getContextLost(),
                turn.intent() == null, cohortOf(classification), unknown, (writeStartNs - startNanos) / 1_000_000.0,
                (builtNs - writeStartNs) / 1_000_000.0));
            return built;
        }, onLoop(loop));
        // both complete on the loop: the combined reply does too
        return explanation == null ? written :
            written.thenCombine(explanation, (built, explained) -> built.toBuilder().setExplanation(explained).build());
    }

    /**
     * The executor that continues a turn on its connection's event loop: inline when the completing thread
     * already is that loop (the in-process store, a result the loop delivered), else one task on the loop.
     *
     * @param loop the turn's event loop.
     * @return the executor.
     */
    static Executor onLoop(final ScheduledExecutorService loop)
    {
        if (loop instanceof EventExecutor)
        {
            final EventExecutor executor = (EventExecutor)loop;
            return task ->
            {
                if (executor.inEventLoop())
                {
                    task.run();
                }
                else
                {
                    executor.execute(task);
                }
            };
        }
        return loop;
    }

    private static boolean isConflict(final Throwable error)
    {
        for (Throwable t = error; t != null; t = t.getCause())
        {
            if (t instanceof SessionConflictException)
            {
                return true;
            }
        }
        return false;
    }

    private static String answerText(final KnowledgeBase kb, final TurnResolution turn)
    {
        // an intent the knowledge base's catalog lacks (a model answer from across a catalog swap) has no answer
        final String answer = turn.intent() == null ? null : kb.answer(turn.intent(), turn.audience());
        return answer != null ? answer : kb.clarifyingQuestion(turn.audience());
    }

    /**
     * Renews a session's TTL.
     *
     * @param principal the caller, who must own the session.
     * @param sessionId the session id.
     * @return the TTL in seconds now set; fails with 400, 403 or 404.
     */
    public CompletableFuture<Integer> heartbeat(final Principal principal, final String sessionId)
    {
        return owned(principal, sessionId).thenCompose(session -> store.touch(sessionId)).thenApply(found ->
        {
            if (!found)
            {
                throw ChatException.notFound("session not found");
            }
            return store.ttlSeconds();
        });
    }

    /**
     * Deletes a session.
     *
     * @param principal the caller, who must own the session.
     * @param sessionId the session id.
     * @return completes once deleted; fails with 400, 403 or 404.
     */
    public CompletableFuture<Boolean> delete(final Principal principal, final String sessionId)
    {
        return owned(principal, sessionId).thenCompose(session -> store.delete(sessionId));
    }

    private CompletableFuture<Session> owned(final Principal principal, final String sessionId)
    {
        if (!SessionIds.isWellFormed(sessionId))
        {
            return CompletableFuture.failedFuture(ChatException.badRequest("malformed session id"));
        }
        return store.load(sessionId).thenApply(session ->
        {
            if (session == null)
            {
                throw ChatException.notFound("session not found");
            }
            if (!session.user().equals(principal.subject()))
            {
                throw ChatException.forbidden("session belongs to another user");
            }
            return session;
        });
    }

    private static Audience parseAudience(final String id)
    {
        if (id.isEmpty())
        {
            return null;
        }
        final Audience audience = Audience.fromId(id);
        if (audience == null)
        {
            throw ChatException.badRequest("unknown audience '" + id + "' (expected: campus, experienced or intern)");
        }
        return audience;
    }
}
