package ivbot.inference.batch;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Consumer;

/**
 * One query on its way to the model. It completes exactly once: by the inference agent with a
 * prediction or a {@code model_error}, or by whoever enforces its deadline (the server's event-loop
 * timer, or the agent when it finds the deadline already passed). The first {@link #complete} wins (a CAS
 * on {@code state}); later ones are ignored, so no request is answered twice. The callback always runs
 * on the request's own executor (its event loop).
 */
public final class InferenceRequest
{
    private static final AtomicIntegerFieldUpdater<InferenceRequest> STATE =
        AtomicIntegerFieldUpdater.newUpdater(InferenceRequest.class, "state");

    /** Answered by the serving (stable) model. */
    public static final int STABLE = 0;
    /** Answered by the candidate when one is serving, else by the stable model (a canary user's turn). */
    public static final int CANARY = 1;
    /** Scored by the candidate for comparison only; dropped ({@code no_model}) when no candidate is serving. */
    public static final int SHADOW = 2;

    private final String context;
    private final String text;
    private final int cohort;
    private final long enqueuedNs;
    private final long deadlineNs;
    private final Executor executor;
    private final Consumer<InferenceResult> callback;
    private volatile int state;

    /**
     * @param text       the normalised query.
     * @param enqueuedNs {@link System#nanoTime()} when the request was made.
     * @param deadlineNs {@link System#nanoTime()} by which an answer is useful.
     * @param executor   where the callback runs.
     * @param callback   receives the result, once.
     */
    public InferenceRequest(final String text, final long enqueuedNs, final long deadlineNs, final Executor executor,
        final Consumer<InferenceResult> callback)
    {
        this(null, text, enqueuedNs, deadlineNs, executor, callback);
    }

    /**
     * @param context    what the model reads before the query (the session topic's name), or {@code null}.
     * @param text       the normalised query.
     * @param enqueuedNs {@link System#nanoTime()} when the request was made.
     * @param deadlineNs {@link System#nanoTime()} by which an answer is useful.
     * @param executor   where the callback runs.
     * @param callback   receives the result, once.
     */
    public InferenceRequest(final String context, final String text, final long enqueuedNs, final long deadlineNs,
        final Executor executor, final Consumer<InferenceResult> callback)
    {
        this(context, text, STABLE, enqueuedNs, deadlineNs, executor, callback);
    }

    /**
     * @param context    what the model reads before the query (the session topic's name), or {@code null}.
     * @param text       the normalised query.
     * @param cohort     {@link #STABLE}, {@link #CANARY} or {@link #SHADOW}.
     * @param enqueuedNs {@link System#nanoTime()} when the request was made.
     * @param deadlineNs {@link System#nanoTime()} by which an answer is useful.
     * @param executor   where the callback runs.
     * @param callback   receives the result, once.
     */
    public InferenceRequest(final String context, final String text, final int cohort, final long enqueuedNs,
        final long deadlineNs, final Executor executor, final Consumer<InferenceResult> callback)
    {
        if (cohort < STABLE || cohort > SHADOW)
        {
            throw new IllegalArgumentException("cohort=" + cohort + " (expected: STABLE, CANARY or SHADOW)");
        }
        this.cohort = cohort;
        this.context = context;
        this.text = text;
        this.enqueuedNs = enqueuedNs;
        this.deadlineNs = deadlineNs;
        this.executor = executor;
        this.callback = callback;
    }

    /**
     * @return {@link #STABLE}, {@link #CANARY} or {@link #SHADOW}: which model the request is for.
     */
    public int cohort()
    {
        return cohort;
    }

    /**
     * @return what the model reads before the query, or {@code null} for none.
     */
    public String context()
    {
        return context;
    }

    /**
     * @return the normalised query.
     */
    public String text()
    {
        return text;
    }

    /**
     * @return when the request was made, {@link System#nanoTime()}.
     */
    public long enqueuedNs()
    {
        return enqueuedNs;
    }

    /**
     * @return the deadline, {@link System#nanoTime()}.
     */
    public long deadlineNs()
    {
        return deadlineNs;
    }

    /**
     * @return true once completed.
     */
    public boolean isDone()
    {
        return state != 0;
    }

    /**
     * Completes the request unless it is already complete, and hands the result to the callback on the
     * request's executor.
     *
     * @param result the result.
     * @return true when this call completed the request.
     */
    public boolean complete(final InferenceResult result)
    {
        return complete(result, null);
    }

    /**
     * As {@link #complete(InferenceResult)}, running {@code onWin} (when not {@code null}) on the calling
     * thread after winning and before the callback is handed over, so that a counter it bumps is already
     * bumped when the callback sees the result.
     */
    boolean complete(final InferenceResult result, final Runnable onWin)
    {
        if (!STATE.compareAndSet(this, 0, 1))
        {
            return false;
        }
        if (onWin != null)
        {
            onWin.run();
        }
        try
        {
            executor.execute(() -> callback.accept(result));
        }
        catch (final RejectedExecutionException ex)
        {
            // the event loop is shutting down: nobody is left to answer
        }
        return true;
    }
}
