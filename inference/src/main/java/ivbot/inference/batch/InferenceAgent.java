package ivbot.inference.batch;

import ivbot.inference.model.BatchPredictor;
import ivbot.inference.model.IntentModel;
import ivbot.inference.model.Prediction;
import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * The one inference thread's work loop, an Agrona {@link Agent} run by an {@code AgentRunner} with an
 * idle strategy. Event loops {@link #offer} requests into a bounded lock-free
 * {@link ManyToOneConcurrentArrayQueue}; {@link #doWork()} drains up to {@code maxBatchSize} of them, or
 * fewer once {@code maxBatchDelayUs} has passed since the oldest arrived, drops those whose deadline has
 * passed, pads to the batch's longest query, makes one ONNX Runtime call, and completes each request on
 * its own executor. The model is a {@link BatchPredictor}; time comes from a {@link NanoClock}, so a test
 * can drive {@link #doWork()} by hand with its own predictor and clock.
 * <p>
 * Threads: {@link #offer}, {@link #swap} and the getters are safe from any thread; everything else runs
 * on the agent thread only. A model swap takes effect between two batches, and the old model is closed by
 * the agent, so no request in flight is dropped.
 * <p>
 * Failures: a batch whose model throws an exception (anything but an {@link Error}) has its requests
 * completed {@code model_error}, is counted in {@link #failedBatches()} and in the error counter, is
 * reported to the error handler as a {@link BatchFailedException}, and the loop goes on. An {@link Error}
 * (an {@code OutOfMemoryError}, say) also fails the batch's requests with {@code model_error} and is
 * counted in {@link #failedBatches()}; then the agent closes itself as {@link #onClose()} does (the queued
 * requests are answered {@code no_model}, later offers are refused {@code no_model} so the server answers
 * by rules at once, the models are closed) and rethrows the error out of {@link #doWork()}. Agrona's
 * {@code AgentRunner} counts it in its error counter, reports it to its error handler and ends the agent's
 * thread, as it does for every {@link Error}. Give the runner the same handler and counter as the agent,
 * so that the counter counts every failure once.
 * <p>
 * Idling: run the agent with {@link #idleStrategy()}. With nothing to do the agent spins briefly, then
 * parks; {@link #offer} unparks it when it finds it parked (the handshake is {@link ManyToOneWakeup}), so an
 * idle server costs no CPU and a request arriving at an idle agent starts at once instead of waiting out a
 * sleep.
 */
public final class InferenceAgent implements Agent
{
    private static final long INITIAL_BATCH_NS = 5_000_000L;
    private static final long NOT_RUNNING = Long.MIN_VALUE;
    private static final int IDLE_SPINS = 50;
    private static final int IDLE_YIELDS = 5;
    // bounds a park that could have missed its wake-up; correctness does not depend on it
    private static final long MAX_PARK_NS = 10_000_000L;

    private final ManyToOneConcurrentArrayQueue<InferenceRequest> queue;
    private final int maxBatchSize;
    private final long maxBatchDelayNs;
    private final NanoClock clock;
    private final ErrorHandler errorHandler;
    private final AtomicCounter errorCounter;
    private final List<InferenceRequest> batch;
    private final List<String> texts;
    private final List<String> contexts;
    private final Prediction[] predictions;
    private final AtomicReference<BatchPredictor> pendingSwap = new AtomicReference<>();
    // candidate changes (set, drop, promote), run in order on the agent thread between two batches
    private final ManyToOneConcurrentLinkedQueue<Runnable> candidateCommands = new ManyToOneConcurrentLinkedQueue<>();
    private final List<InferenceRequest> candidateBatch;
    // the candidate the agent runs (agent thread), and the one announced to callers (any thread)
    private BatchPredictor candidate;
    private volatile BatchPredictor announcedCandidate;
    private final ManyToOneWakeup wakeup = new ManyToOneWakeup();
    private volatile BatchPredictor model;
    private volatile long batchNsEstimate = INITIAL_BATCH_NS;
    // when the batch now running started ({@code clock}), NOT_RUNNING between batches: for expectedWaitNs
    private volatile long batchStartedNs = NOT_RUNNING;
    private volatile boolean closed;
    // the idle re-check: volatile reads of the queue's head and tail, then of closed
    private final BooleanSupplier hasWorkOrClosed = this::hasWorkOrClosed;

    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong predicted = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final Runnable countExpired = expired::incrementAndGet;
    private final AtomicLong failedBatches = new AtomicLong();
    private final SingleWriterRecorder batchSizes = new SingleWriterRecorder(1, 4096, 3);
    private final SingleWriterRecorder inferenceUs = new SingleWriterRecorder(1, 60_000_000L, 3);
    private final SingleWriterRecorder queueWaitUs = new SingleWriterRecorder(1, 60_000_000L, 3);
    private final SingleWriterRecorder candidateBatchSizes = new SingleWriterRecorder(1, 4096, 3);
    private final SingleWriterRecorder candidateInferenceUs = new SingleWriterRecorder(1, 60_000_000L, 3);
    private final AtomicLong candidatePredicted = new AtomicLong();

    /**
     * An agent on {@link System#nanoTime()} that logs failed batches through SLF4J (a
     * {@link RateLimitedErrorLog}) and counts them in a counter of its own.
     *
     * @param queueCapacity   the bound of the request queue.
     * @param maxBatchSize    the most requests in one ONNX Runtime call.
     * @param maxBatchDelayUs how long the oldest request may wait for its batch to fill.
     */
    public InferenceAgent(final int queueCapacity, final int maxBatchSize, final long maxBatchDelayUs)
    {
        this(queueCapacity, maxBatchSize, maxBatchDelayUs, SystemNanoClock.INSTANCE,
            new RateLimitedErrorLog(LoggerFactory.getLogger(InferenceAgent.class), "inference",
                RateLimitedErrorLog.DEFAULT_INTERVAL_NS, SystemNanoClock.INSTANCE),
            newStandaloneCounter());
    }

    /**
     * @param queueCapacity   the bound of the request queue.
     * @param maxBatchSize    the most requests in one ONNX Runtime call.
     * @param maxBatchDelayUs how long the oldest request may wait for its batch to fill.
     * @param clock           the time source, on the same timeline as the requests' {@code enqueuedNs} and
     *                        {@code deadlineNs} ({@link SystemNanoClock} in service).
     * @param errorHandler    receives a {@link BatchFailedException} per batch failed by an exception; called
     *                        on the agent thread.
     * @param errorCounter    incremented once per batch failed by an exception, before its requests complete;
     *                        give the {@code AgentRunner} the same one for the errors that escape.
     */
    public InferenceAgent(final int queueCapacity, final int maxBatchSize, final long maxBatchDelayUs,
        final NanoClock clock, final ErrorHandler errorHandler, final AtomicCounter errorCounter)
    {
        if (queueCapacity < 2)
        {
            throw new IllegalArgumentException("queueCapacity=" + queueCapacity + " (expected: >= 2)");
        }
        if (maxBatchSize <= 0)
        {
            throw new IllegalArgumentException("maxBatchSize=" + maxBatchSize + " (expected: > 0)");
        }
        if (maxBatchDelayUs < 0)
        {
            throw new IllegalArgumentException("maxBatchDelayUs=" + maxBatchDelayUs + " (expected: >= 0)");
        }
        if (clock == null)
        {
            throw new NullPointerException("clock");
        }
        if (errorHandler == null)
        {
            throw new NullPointerException("errorHandler");
        }
        if (errorCounter == null)
        {
            throw new NullPointerException("errorCounter");
        }
        this.queue = new ManyToOneConcurrentArrayQueue<>(queueCapacity);
        this.maxBatchSize = maxBatchSize;
        this.maxBatchDelayNs = maxBatchDelayUs * 1000;
        this.clock = clock;
        this.errorHandler = errorHandler;
        this.errorCounter = errorCounter;
        this.batch = new ArrayList<>(maxBatchSize);
        this.candidateBatch = new ArrayList<>(maxBatchSize);
        this.texts = new ArrayList<>(maxBatchSize);
        this.contexts = new ArrayList<>(maxBatchSize);
        this.predictions = new Prediction[maxBatchSize];
    }

    /**
     * A counter for an agent whose owner keeps no counters of its own (no {@code CountersManager}): one
     * counter's slot in a heap buffer.
     *
     * @return a new counter at 0.
     */
    public static AtomicCounter newStandaloneCounter()
    {
        return new AtomicCounter(new UnsafeBuffer(new byte[CountersReader.COUNTER_LENGTH]), 0);
    }

    @Override
    public String roleName()
    {
        return "ivbot-inference";
    }

    /**
     * Offers a request. Never blocks.
     *
     * @param request the request.
     * @return {@code null} when queued; else why it was not: {@code no_model}; {@code deadline} when the
     * deadline has already passed; {@code queue_full} when the queue is full or the expected wait behind
     * the requests already queued exceeds the request's deadline (admission control). A refused request
     * is not completed: the caller falls back at once.
     */
    public FallbackReason offer(final InferenceRequest request)
    {
        if (closed || (model == null && pendingSwap.get() == null))
        {
            return FallbackReason.NO_MODEL;
        }
        if (request.enqueuedNs() >= request.deadlineNs())
        {
            return FallbackReason.DEADLINE;
        }
        final int depth = queue.size();
        // an empty queue always admits: the estimate only learns from batches that run, so refusing
        // there could lock the model out for good after one slow spell (the deadline timer still holds)
        if (depth > 0 && request.enqueuedNs() + expectedWaitNs(depth) > request.deadlineNs())
        {
            return FallbackReason.QUEUE_FULL;
        }
        if (!queue.offer(request))
        {
            return FallbackReason.QUEUE_FULL;
        }
        // the offer's CAS pairs with the agent's announcement and re-check (see ManyToOneWakeup)
        wakeup.wake();
        return null;
    }

    /**
     * How long a request offered now is expected to wait for its result: the batches ahead of it and its own,
     * at the recent time of a batch (a moving average), plus {@code maxBatchDelayUs}. A caller whose answer is
     * due sooner than this, even on an empty queue, is better answered without the model at once. Any thread.
     *
     * @return the expected wait, nanoseconds.
     */
    public long expectedWaitNs()
    {
        return expectedWaitNs(queue.size());
    }

    private long expectedWaitNs(final int depth)
    {
        final long estimateNs = batchNsEstimate;
        final long startedNs = batchStartedNs;
        // what is left of the batch now running (at the estimate), then the batches ahead and its own
        final long runningNs = startedNs == NOT_RUNNING ? 0 : Math.max(0, estimateNs - (clock.nanoTime() - startedNs));
        return runningNs + (depth / maxBatchSize + 1) * estimateNs + maxBatchDelayNs;
    }

    /**
     * The idle strategy this agent is meant to run with: a few spins and yields, then a park that
     * {@link #offer} ends (or, with a partial batch held for {@code maxBatchDelayUs}, the end of that
     * delay). Use it for this agent only, on the agent's thread.
     *
     * @return a new idle strategy bound to this agent.
     */
    public IdleStrategy idleStrategy()
    {
        return new WakeOnOfferIdleStrategy();
    }

    @Override
    public void onStart()
    {
        wakeup.ownerThread(Thread.currentThread());
    }

    /**
     * @return true once the agent has stopped for good (closed, or after an {@code Error} in a batch): its
     *         thread no longer runs and every request is answered by the rules ({@code no_model}). Any thread.
     */
    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Hands a new model to the agent, which starts using it at the next batch and closes the one before.
     * A model handed over and replaced before the agent took it is closed here, on the caller's thread.
     *
     * @param next the model to serve; the agent owns it from now on.
     */
    public void swap(final BatchPredictor next)
    {
        final BatchPredictor replaced = pendingSwap.getAndSet(next);
        if (replaced != null)
        {
            replaced.close();
        }
    }

    /**
     * Serves {@code next} as the candidate beside the stable model: requests offered as
     * {@link InferenceRequest#CANARY} or {@link InferenceRequest#SHADOW} run on it, in batches of their own,
     * from the next batch on. A candidate it replaces is closed by the agent.
     *
     * @param next the candidate; the agent owns it from now on.
     */
    public void setCandidate(final BatchPredictor next)
    {
        announcedCandidate = next;
        candidateCommands.offer(() -> replaceCandidate(next));
        wakeup.wake();
    }

    /**
     * Stops serving the candidate (a rollback): from the next batch, canary requests run on the stable model
     * and shadow requests are dropped; the candidate is closed by the agent.
     */
    public void dropCandidate()
    {
        announcedCandidate = null;
        candidateCommands.offer(() -> replaceCandidate(null));
        wakeup.wake();
    }

    /**
     * Makes the candidate the stable model between two batches (a promotion); the stable model it replaces is
     * closed by the agent. Nothing happens when no candidate is serving by then.
     */
    public void promoteCandidate()
    {
        final BatchPredictor promoted = announcedCandidate;
        if (promoted == null)
        {
            return;
        }
        // callers see the promoted model as the stable one at once; the agent switches at its next batch
        final BatchPredictor replaced = pendingSwap.getAndSet(promoted);
        if (replaced != null && replaced != promoted)
        {
            replaced.close();
        }
        announcedCandidate = null;
        candidateCommands.offer(() ->
        {
            if (candidate == promoted)
            {
                // swapIfPending installs it as the model; it is no longer the candidate, so not closed here
                candidate = null;
            }
        });
        wakeup.wake();
    }

    private void replaceCandidate(final BatchPredictor next)
    {
        final BatchPredictor old = candidate;
        candidate = next;
        if (old != null && old != next && old != model && old != pendingSwap.get())
        {
            old.close();
        }
    }

    /**
     * @return the candidate serving beside the stable model (or about to), or {@code null}.
     */
    public IntentModel candidate()
    {
        return announcedCandidate instanceof IntentModel intentModel ? intentModel : null;
    }

    /** @return requests answered by the candidate. */
    public long candidatePredicted()
    {
        return candidatePredicted.get();
    }

    /** @return the candidate's batch-size recorder (single writer: the agent). */
    public SingleWriterRecorder candidateBatchSizes()
    {
        return candidateBatchSizes;
    }

    /** @return the recorder of the candidate's ONNX Runtime time per batch, microseconds. */
    public SingleWriterRecorder candidateInferenceUs()
    {
        return candidateInferenceUs;
    }

    /**
     * @return the model in service (or about to be), or {@code null}.
     */
    public BatchPredictor predictor()
    {
        final BatchPredictor pending = pendingSwap.get();
        return pending != null ? pending : model;
    }

    /**
     * The model in service as an {@link IntentModel}, for the server, which reads its thresholds and device.
     *
     * @return the model in service when it is an {@link IntentModel} (the server's always are), else
     * {@code null}.
     */
    public IntentModel model()
    {
        return predictor() instanceof IntentModel intentModel ? intentModel : null;
    }

    /**
     * @return the requests waiting in the queue.
     */
    public int queueDepth()
    {
        return queue.size();
    }

    /** @return batches run. */
    public long batches()
    {
        return batches.get();
    }

    /** @return requests answered by the model. */
    public long predicted()
    {
        return predicted.get();
    }

    /** @return requests dropped because their deadline passed before their batch was formed. */
    public long expired()
    {
        return expired.get();
    }

    /** @return batches that failed, by an exception or an error. */
    public long failedBatches()
    {
        return failedBatches.get();
    }

    /**
     * @return the error counter's value: batches failed by an exception, plus what the {@code AgentRunner}
     * counted there when it was given the same counter.
     */
    public long errors()
    {
        return errorCounter.get();
    }

    /** @return the batch-size recorder (single writer: the agent). */
    public SingleWriterRecorder batchSizes()
    {
        return batchSizes;
    }

    /** @return the recorder of ONNX Runtime time per batch, microseconds. */
    public SingleWriterRecorder inferenceUs()
    {
        return inferenceUs;
    }

    /** @return the recorder of queue wait per request, microseconds. */
    public SingleWriterRecorder queueWaitUs()
    {
        return queueWaitUs;
    }

    @Override
    public int doWork()
    {
        swapIfPending();
        final int space = maxBatchSize - batch.size();
        final int drained = space > 0 ? queue.drainTo(batch, space) : 0;
        if (batch.isEmpty())
        {
            return 0;
        }
        final long now = clock.nanoTime();
        if (batch.size() < maxBatchSize && now - batch.get(0).enqueuedNs() < maxBatchDelayNs)
        {
            return drained;
        }
        runBatch(now);
        return 1 + drained;
    }

    private void swapIfPending()
    {
        Runnable command;
        while ((command = candidateCommands.poll()) != null)
        {
            command.run();
        }
        final BatchPredictor next = pendingSwap.getAndSet(null);
        if (next != null)
        {
            final BatchPredictor old = model;
            model = next;
            if (candidate == next)
            {
                // a promotion whose command ran first: the model is now stable, not the candidate
                candidate = null;
            }
            if (old != null && old != next)
            {
                old.close();
            }
        }
    }

    private void runBatch(final long now)
    {
        final BatchPredictor current = model;
        final BatchPredictor trial = candidate;
        int live = 0;
        for (int i = 0; i < batch.size(); i++)
        {
            final InferenceRequest request = batch.get(i);
            if (request.isDone())
            {
                continue;
            }
            if (now >= request.deadlineNs())
            {
                request.complete(InferenceResult.fallback(FallbackReason.DEADLINE), countExpired);
                continue;
            }
            if (request.cohort() == InferenceRequest.SHADOW && trial == null)
            {
                // a comparison with a candidate that is gone: nothing to compare
                request.complete(InferenceResult.fallback(FallbackReason.NO_MODEL));
                continue;
            }
            queueWaitUs.recordValue(Math.max(1, (now - request.enqueuedNs()) / 1000));
            if (trial != null && request.cohort() != InferenceRequest.STABLE)
            {
                candidateBatch.add(request);
            }
            else
            {
                batch.set(live++, request);
            }
        }
        batch.subList(live, batch.size()).clear();
        try
        {
            // the two versions take turns going first, so that neither's latency always includes the other's batch
            final boolean candidateFirst = (batches.get() & 1) == 1;
            if (candidateFirst && !candidateBatch.isEmpty())
            {
                predict(trial, candidateBatch, now, true);
            }
            if (live > 0)
            {
                predict(current, batch, clock.nanoTime(), false);
            }
            if (!candidateFirst && !candidateBatch.isEmpty())
            {
                predict(trial, candidateBatch, clock.nanoTime(), true);
            }
        }
        finally
        {
            // an Error escaping predict must not leave its (completed) requests for the next batch
            batch.clear();
            candidateBatch.clear();
            texts.clear();
            contexts.clear();
        }
    }

    private void predict(final BatchPredictor current, final List<InferenceRequest> batch, final long start,
        final boolean isCandidate)
    {
        final int size = batch.size();
        if (current == null)
        {
            // defensive: offer admits nothing before a model is handed over, and doWork takes it before draining
            completeAll(batch, FallbackReason.NO_MODEL);
            return;
        }
        batchStartedNs = start;
        texts.clear();
        contexts.clear();
        boolean withContext = false;
        for (int i = 0; i < size; i++)
        {
            final InferenceRequest request = batch.get(i);
            texts.add(request.text());
            contexts.add(request.context());
            withContext |= request.context() != null;
        }
        try
        {
            if (withContext)
            {
                current.predict(contexts, texts, predictions);
            }
            else
            {
                current.predict(texts, predictions);
            }
        }
        catch (final Error error)
        {
            failedBatches.incrementAndGet();
            completeAll(batch, FallbackReason.MODEL_ERROR);
            // the AgentRunner counts and reports it, then ends this thread (Agrona 2 rethrows Errors out of its
            // loop); closing first means nothing waits on a queue that no thread drains any more
            try
            {
                onClose();
            }
            catch (final Throwable closeFailure)
            {
                error.addSuppressed(closeFailure);
            }
            throw error;
        }
        catch (final Throwable ex)
        {
            failedBatches.incrementAndGet();
            errorCounter.increment();
            completeAll(batch, FallbackReason.MODEL_ERROR);
            errorHandler.onError(new BatchFailedException(size, current.version(), ex));
            return;
        }
        finally
        {
            batchStartedNs = NOT_RUNNING;
        }
        final long elapsedNs = clock.nanoTime() - start;
        // counted before completing, so whoever sees a result also sees it counted
        batches.incrementAndGet();
        predicted.addAndGet(size);
        if (isCandidate)
        {
            candidatePredicted.addAndGet(size);
            candidateBatchSizes.recordValue(size);
            candidateInferenceUs.recordValue(Math.max(1, elapsedNs / 1000));
        }
        else
        {
            batchSizes.recordValue(size);
            inferenceUs.recordValue(Math.max(1, elapsedNs / 1000));
        }
        // per-batch cost estimate for admission control: an EWMA, weighted 1/8 to the newest batch
        batchNsEstimate += (elapsedNs - batchNsEstimate) >> 3;
        for (int i = 0; i < size; i++)
        {
            batch.get(i).complete(new InferenceResult(predictions[i], null));
            predictions[i] = null;
        }
    }

    private void completeAll(final List<InferenceRequest> batch, final FallbackReason reason)
    {
        final InferenceResult result = InferenceResult.fallback(reason);
        for (int i = 0; i < batch.size(); i++)
        {
            batch.get(i).complete(result);
            predictions[i] = null;
        }
    }

    private boolean hasWorkOrClosed()
    {
        return !queue.isEmpty() || closed;
    }

    private final class WakeOnOfferIdleStrategy implements IdleStrategy
    {
        private int idleCalls;

        @Override
        public void idle(final int workCount)
        {
            if (workCount > 0)
            {
                idleCalls = 0;
                return;
            }
            idle();
        }

        @Override
        public void idle()
        {
            final int calls = idleCalls++;
            if (calls < IDLE_SPINS)
            {
                Thread.onSpinWait();
                return;
            }
            if (calls < IDLE_SPINS + IDLE_YIELDS)
            {
                Thread.yield();
                return;
            }
            long parkNs = MAX_PARK_NS;
            if (!batch.isEmpty())
            {
                parkNs = Math.min(parkNs, batch.get(0).enqueuedNs() + maxBatchDelayNs - clock.nanoTime());
                if (parkNs <= 0)
                {
                    return;
                }
            }
            if (wakeup.prepareToPark(hasWorkOrClosed))
            {
                wakeup.park(parkNs);
            }
        }

        @Override
        public void reset()
        {
            idleCalls = 0;
        }

        @Override
        public String alias()
        {
            return "wake-on-offer";
        }
    }

    @Override
    public void onClose()
    {
        closed = true;
        InferenceRequest request;
        while ((request = queue.poll()) != null)
        {
            request.complete(InferenceResult.fallback(FallbackReason.NO_MODEL));
        }
        for (final InferenceRequest pending : batch)
        {
            pending.complete(InferenceResult.fallback(FallbackReason.NO_MODEL));
        }
        batch.clear();
        for (final InferenceRequest pending : candidateBatch)
        {
            pending.complete(InferenceResult.fallback(FallbackReason.NO_MODEL));
        }
        candidateBatch.clear();
        announcedCandidate = null;
        Runnable command;
        while ((command = candidateCommands.poll()) != null)
        {
            command.run();
        }
        final BatchPredictor trial = candidate;
        candidate = null;
        if (trial != null && trial != model && trial != pendingSwap.get())
        {
            trial.close();
        }
        final BatchPredictor pending = pendingSwap.getAndSet(null);
        if (pending != null)
        {
            pending.close();
        }
        final BatchPredictor current = model;
        model = null;
        if (current != null)
        {
            current.close();
        }
    }
}
