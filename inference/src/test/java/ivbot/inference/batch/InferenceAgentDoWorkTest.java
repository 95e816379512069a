package ivbot.inference.batch;

import ivbot.inference.model.Models;
import ivbot.inference.Intent;
import ivbot.inference.model.BatchPredictor;
import ivbot.inference.model.Prediction;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's batching, deadlines, admission control, failures and swaps, driven by calling
 * {@link InferenceAgent#doWork()} on the test thread with a fake {@link BatchPredictor} and a fake clock:
 * no agent thread, no ONNX Runtime, no sleeps. Every test ends by checking that each admitted request was
 * completed exactly once and each refused one not at all.
 */
@Timeout(10)
class InferenceAgentDoWorkTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long FAR = TimeUnit.SECONDS.toNanos(60);

    private final CachedNanoClock clock = new CachedNanoClock();
    private final List<Throwable> reported = new ArrayList<>();
    private final Map<InferenceRequest, List<InferenceResult>> results = new LinkedHashMap<>();
    private final List<InferenceRequest> refused = new ArrayList<>();

    @AfterEach
    void everyRequestCompletedExactlyOnce()
    {
        results.forEach((request, got) ->
        {
            if (refused.contains(request))
            {
                assertEquals(List.of(), got, request.text() + " was refused, so never completed");
            }
            else
            {
                assertEquals(1, got.size(), request.text() + " completed exactly once: " + got);
            }
        });
    }

    private InferenceAgent agent(final int maxBatchSize, final long maxBatchDelayUs)
    {
        return new InferenceAgent(64, maxBatchSize, maxBatchDelayUs, clock, reported::add,
            InferenceAgent.newStandaloneCounter());
    }

    /** A request made now, named {@code q<n>}, whose deadline is {@code deadlineInNs} from now. */
    private InferenceRequest request(final int n, final long deadlineInNs)
    {
        final List<InferenceResult> got = new ArrayList<>();
        final long now = clock.nanoTime();
        final InferenceRequest request = new InferenceRequest("q" + n, now, now + deadlineInNs, Runnable::run, got::add);
        results.put(request, got);
        return request;
    }

    private InferenceRequest offered(final InferenceAgent agent, final int n, final long deadlineInNs)
    {
        final InferenceRequest request = request(n, deadlineInNs);
        assertNull(agent.offer(request), "q" + n + " admitted");
        return request;
    }

    private FallbackReason offerRefused(final InferenceAgent agent, final int n, final long deadlineInNs)
    {
        final InferenceRequest request = request(n, deadlineInNs);
        final FallbackReason reason = agent.offer(request);
        if (reason != null)
        {
            refused.add(request);
        }
        return reason;
    }

    private InferenceResult resultOf(final InferenceRequest request)
    {
        final List<InferenceResult> got = results.get(request);
        assertEquals(1, got.size(), request.text() + " completed once");
        return got.get(0);
    }

    private void assertAnswered(final InferenceRequest request, final String version)
    {
        final InferenceResult result = resultOf(request);
        assertNull(result.fallback(), request.text());
        assertEquals(FakePredictor.intentOf(request.text()), result.prediction().intent(), request.text() + "'s own answer");
        assertEquals(version, result.prediction().modelVersion(), request.text());
    }

    private void assertFellBack(final InferenceRequest request, final FallbackReason reason)
    {
        assertEquals(InferenceResult.fallback(reason), resultOf(request), request.text());
    }

    @Test
    void shouldRunBatchesOfAtMostMaxBatchSizeInArrivalOrder()
    {
        final InferenceAgent agent = agent(4, 0);
        final FakePredictor model = new FakePredictor("v1");
        agent.swap(model);
        assertEquals(0, agent.doWork(), "nothing queued: no work");
        final List<InferenceRequest> requests = new ArrayList<>();
        for (int i = 0; i < 10; i++)
        {
            requests.add(offered(agent, i, FAR));
        }
        agent.doWork();
        agent.doWork();
        agent.doWork();
        assertEquals(0, agent.doWork());
        assertEquals(List.of(List.of("q0", "q1", "q2", "q3"), List.of("q4", "q5", "q6", "q7"), List.of("q8", "q9")),
            model.calls);
        requests.forEach(r -> assertAnswered(r, "v1"));
        assertEquals(3, agent.batches());
        assertEquals(10, agent.predicted());
        assertEquals(0, agent.queueDepth());
    }

    @Test
    void shouldHandEachRequestsContextToThePredictorBesideItsTextOnlyWhenABatchHasOne()
    {
        final InferenceAgent agent = agent(4, 0);
        final FakePredictor model = new FakePredictor("v1");
        agent.swap(model);
        offered(agent, 0, FAR);
        offered(agent, 1, FAR);
        agent.doWork();
        assertEquals(List.of(), model.contextCalls, "a batch without contexts takes the single-text call");
        final List<InferenceRequest> paired = new ArrayList<>();
        for (final String context : java.util.Arrays.asList(null, "年假"))
        {
            final List<InferenceResult> got = new ArrayList<>();
            final InferenceRequest request = new InferenceRequest(
                context, "q" + (2 + paired.size()), clock.nanoTime(), clock.nanoTime() + FAR, Runnable::run, got::add);
            results.put(request, got);
            assertNull(agent.offer(request));
            paired.add(request);
        }
        agent.doWork();
        assertEquals(List.of(java.util.Arrays.asList(null, "年假")), model.contextCalls);
        assertEquals(List.of("q2", "q3"), model.calls.get(1));
        paired.forEach(r -> assertAnswered(r, "v1"));
    }

    private InferenceRequest offeredFor(final InferenceAgent agent, final int n, final int cohort)
    {
        final List<InferenceResult> got = new ArrayList<>();
        final long now = clock.nanoTime();
        final InferenceRequest request = new InferenceRequest(null, "q" + n, cohort, now, now + FAR, Runnable::run, got::add);
        results.put(request, got);
        assertNull(agent.offer(request), "q" + n + " admitted");
        return request;
    }

    @Test
    void shouldRunCanaryAndShadowRequestsOnTheCandidateInABatchOfTheirOwn()
    {
        final InferenceAgent agent = agent(8, 0);
        final FakePredictor stable = new FakePredictor("v1");
        final FakePredictor candidate = new FakePredictor("v2");
        agent.swap(stable);
        agent.setCandidate(candidate);
        assertEquals(null, agent.candidate(), "a fake predictor is no IntentModel: candidate() names IntentModels only");
        final InferenceRequest s0 = offeredFor(agent, 0, InferenceRequest.STABLE);
        final InferenceRequest c1 = offeredFor(agent, 1, InferenceRequest.CANARY);
        final InferenceRequest s2 = offeredFor(agent, 2, InferenceRequest.STABLE);
        final InferenceRequest h3 = offeredFor(agent, 3, InferenceRequest.SHADOW);
        agent.doWork();
        assertEquals(List.of(List.of("q0", "q2")), stable.calls);
        assertEquals(List.of(List.of("q1", "q3")), candidate.calls);
        assertAnswered(s0, "v1");
        assertAnswered(s2, "v1");
        assertAnswered(c1, "v2");
        assertAnswered(h3, "v2");
        assertEquals(2, agent.candidatePredicted());
        assertEquals(4, agent.predicted());
    }

    @Test
    void shouldAnswerCanaryRequestsFromStableAndDropShadowsOnceTheCandidateIsDropped()
    {
        final InferenceAgent agent = agent(8, 0);
        final FakePredictor stable = new FakePredictor("v1");
        final FakePredictor candidate = new FakePredictor("v2");
        agent.swap(stable);
        agent.setCandidate(candidate);
        agent.doWork();
        agent.dropCandidate();
        assertNull(agent.candidate(), "callers stop routing to it at once");
        final InferenceRequest c0 = offeredFor(agent, 0, InferenceRequest.CANARY);
        final InferenceRequest h1 = offeredFor(agent, 1, InferenceRequest.SHADOW);
        agent.doWork();
        assertAnswered(c0, "v1");
        assertFellBack(h1, FallbackReason.NO_MODEL);
        assertEquals(1, candidate.closes, "the dropped candidate is closed once");
        assertEquals(0, stable.closes);
        assertEquals(List.of(), candidate.calls);
    }

    @Test
    void shouldPromoteTheCandidateBetweenTwoBatchesAndCloseOnlyTheOldStableModel()
    {
        final InferenceAgent agent = agent(8, 0);
        final FakePredictor stable = new FakePredictor("v1");
        final FakePredictor candidate = new FakePredictor("v2");
        agent.swap(stable);
        agent.setCandidate(candidate);
        final InferenceRequest before = offeredFor(agent, 0, InferenceRequest.STABLE);
        agent.doWork();
        assertAnswered(before, "v1");
        agent.promoteCandidate();
        assertEquals("v2", agent.predictor().version(), "callers see the promoted version at once");
        final InferenceRequest s1 = offeredFor(agent, 1, InferenceRequest.STABLE);
        final InferenceRequest c2 = offeredFor(agent, 2, InferenceRequest.CANARY);
        agent.doWork();
        assertAnswered(s1, "v2");
        assertAnswered(c2, "v2");
        assertEquals(List.of(List.of("q1", "q2")), candidate.calls, "one batch: there is no candidate any more");
        assertEquals(1, stable.closes);
        assertEquals(0, candidate.closes, "the promoted model serves on");
    }

    @Test
    void shouldHoldAPartialBatchUntilItFillsOrTheOldestHasWaitedMaxBatchDelay()
    {
        final InferenceAgent agent = agent(4, 1000);
        final FakePredictor model = new FakePredictor("v1");
        agent.swap(model);
        final InferenceRequest q0 = offered(agent, 0, FAR);
        clock.advance(100_000);
        final InferenceRequest q1 = offered(agent, 1, FAR);
        agent.doWork();
        clock.advance(899_999);
        agent.doWork();
        assertEquals(List.of(), model.calls, "999.999 us after the oldest arrived: still held");
        final InferenceRequest q2 = offered(agent, 2, FAR);
        final InferenceRequest q3 = offered(agent, 3, FAR);
        agent.doWork();
        assertEquals(List.of(List.of("q0", "q1", "q2", "q3")), model.calls, "full: runs without waiting out the delay");

        final InferenceRequest q4 = offered(agent, 4, FAR);
        agent.doWork();
        clock.advance(999_999);
        agent.doWork();
        assertEquals(1, model.calls.size());
        clock.advance(1);
        agent.doWork();
        assertEquals(List.of("q4"), model.calls.get(1), "the delay passed: runs partial");
        List.of(q0, q1, q2, q3, q4).forEach(r -> assertAnswered(r, "v1"));
    }

    @Test
    void shouldCompleteDeadlineWithoutRunningARequestWhoseDeadlinePassedBeforeItsBatchFormed()
    {
        final InferenceAgent agent = agent(4, 1000);
        final FakePredictor model = new FakePredictor("v1");
        agent.swap(model);
        final InferenceRequest late = offered(agent, 0, 500_000);
        final InferenceRequest live = offered(agent, 1, FAR);
        agent.doWork();
        clock.advance(1_000_000);
        agent.doWork();
        assertEquals(List.of(List.of("q1")), model.calls, "only the live request reaches the model");
        assertFellBack(late, FallbackReason.DEADLINE);
        assertAnswered(live, "v1");
        assertEquals(1, agent.expired());
        assertEquals(1, agent.predicted());

        // a batch of nothing but expired requests makes no model call at all
        final InferenceRequest alone = offered(agent, 2, 500_000);
        clock.advance(1_000_000);
        agent.doWork();
        assertEquals(1, model.calls.size());
        assertFellBack(alone, FallbackReason.DEADLINE);
        assertEquals(2, agent.expired());

        // a deadline exactly at the batch's time has passed; one nanosecond later has not
        final InferenceRequest atDeadline = offered(agent, 3, 1_000_000);
        clock.advance(1_000_000);
        agent.doWork();
        assertFellBack(atDeadline, FallbackReason.DEADLINE);
        final InferenceRequest justInTime = offered(agent, 4, 1_000_001);
        clock.advance(1_000_000);
        agent.doWork();
        assertAnswered(justInTime, "v1");
    }

    @Test
    void shouldRefuseQueueFullWhenTheExpectedWaitExceedsTheDeadlineButAlwaysAdmitToAnEmptyQueue()
    {
        final InferenceAgent agent = agent(4, 0);
        final FakePredictor model = new FakePredictor("v1");
        agent.swap(model);
        assertEquals(FallbackReason.DEADLINE, offerRefused(agent, 0, 0), "a request already past its deadline");
        offered(agent, 1, 1);
        // one queued, the initial 5 ms batch estimate: the expected wait is one batch, 5 ms
        assertEquals(FallbackReason.QUEUE_FULL, offerRefused(agent, 2, 5 * MS - 1));
        offered(agent, 3, 5 * MS);
        offered(agent, 4, FAR);
        offered(agent, 5, FAR);
        // four queued: the new one waits for the next batch of four and its own, 10 ms
        assertEquals(FallbackReason.QUEUE_FULL, offerRefused(agent, 6, 10 * MS - 1));
        offered(agent, 7, 10 * MS);
        assertEquals(5, agent.queueDepth());

        // the estimate learns from the batches that run: 85 ms batches move it from 5 ms to 15 ms
        model.onPredict = call -> clock.advance(85 * MS);
        agent.doWork();
        agent.doWork();
        assertEquals(0, agent.queueDepth());
        model.onPredict = call -> { };
        offered(agent, 8, FAR);
        assertEquals(FallbackReason.QUEUE_FULL, offerRefused(agent, 9, 12 * MS), "5 ms would have admitted it");
        offered(agent, 10, 15 * MS);
        agent.doWork();

        // after a 10 s batch nothing could queue behind anything, but an empty queue still admits
        model.onPredict = call -> clock.advance(TimeUnit.SECONDS.toNanos(10));
        offered(agent, 11, FAR);
        agent.doWork();
        final InferenceRequest q12 = offered(agent, 12, 1);
        assertEquals(FallbackReason.QUEUE_FULL, offerRefused(agent, 13, TimeUnit.SECONDS.toNanos(1)));
        agent.doWork();
        assertAnswered(q12, "v1");
    }

    @Test
    void shouldExpectTheRestOfTheRunningBatchThenTheBatchesAheadAndItsOwn()
    {
        final InferenceAgent agent = agent(4, 0);
        final FakePredictor model = new FakePredictor("v1");
        agent.swap(model);
        // between batches, an empty queue: one batch at the initial 5 ms estimate
        assertEquals(5 * MS, agent.expectedWaitNs());
        final long[] during = new long[2];
        model.onPredict = call ->
        {
            // 2 ms into a batch estimated at 5 ms: 3 ms of it left, then its own batch
            clock.advance(2 * MS);
            during[0] = agent.expectedWaitNs();
            for (int i = 10; i < 14; i++)
            {
                offered(agent, i, FAR);
            }
            // four queued ahead with batches of four: the rest of this one, theirs, then its own
            during[1] = agent.expectedWaitNs();
            clock.advance(3 * MS);
        };
        offered(agent, 1, FAR);
        agent.doWork();
        assertEquals(3 * MS + 5 * MS, during[0]);
        assertEquals(3 * MS + 2 * 5 * MS, during[1]);
        // the batch took its 5 ms: the estimate stays, and nothing is running any more
        model.onPredict = call -> clock.advance(5 * MS);
        assertEquals(2 * 5 * MS, agent.expectedWaitNs(), "one batch of four ahead, then its own");
        agent.doWork();
        assertEquals(5 * MS, agent.expectedWaitNs());
    }

    @Test
    void shouldFailABatchWithModelErrorReportItAndRunTheNextOne()
    {
        final InferenceAgent agent = agent(4, 0);
        final FakePredictor model = new FakePredictor("v1");
        model.onPredict = call ->
        {
            if (call == 1)
            {
                throw new IllegalStateException("session closed");
            }
        };
        agent.swap(model);
        final List<InferenceRequest> failed = List.of(offered(agent, 0, FAR), offered(agent, 1, FAR), offered(agent, 2, FAR));
        agent.doWork();
        failed.forEach(r -> assertFellBack(r, FallbackReason.MODEL_ERROR));
        assertEquals(1, agent.failedBatches());
        assertEquals(1, agent.errors());
        assertEquals(0, agent.batches());
        assertEquals(1, reported.size(), "reported once");
        final BatchFailedException report = assertInstanceOf(BatchFailedException.class, reported.get(0));
        assertEquals("batch of 3 requests on model v1 failed, answered model_error: "
            + "java.lang.IllegalStateException: session closed", report.getMessage());
        assertInstanceOf(IllegalStateException.class, report.getCause());

        final InferenceRequest next = offered(agent, 3, FAR);
        agent.doWork();
        assertAnswered(next, "v1");
        assertEquals(1, agent.batches());
        assertEquals(1, agent.failedBatches());
        assertEquals(1, reported.size());
    }

    @Test
    void shouldFailTheBatchWithModelErrorThenCloseAndRethrowAnError()
    {
        final InferenceAgent agent = agent(2, 0);
        final FakePredictor model = new FakePredictor("v1");
        final OutOfMemoryError oom = new OutOfMemoryError("Java heap space");
        model.onPredict = call ->
        {
            throw oom;
        };
        agent.swap(model);
        final List<InferenceRequest> failed = List.of(offered(agent, 0, FAR), offered(agent, 1, FAR));
        final InferenceRequest queued = offered(agent, 2, FAR);
        assertSame(oom, assertThrows(OutOfMemoryError.class, agent::doWork), "not swallowed");
        failed.forEach(r -> assertFellBack(r, FallbackReason.MODEL_ERROR));
        assertEquals(1, agent.failedBatches());
        assertEquals(List.of(), reported, "left to the AgentRunner, which reports and counts what escapes");
        assertEquals(0, agent.errors());

        // the runner's thread ends with the Error: nothing may wait on the queue, so the agent closed itself
        assertFellBack(queued, FallbackReason.NO_MODEL);
        assertEquals(1, model.closes);
        assertEquals(FallbackReason.NO_MODEL, offerRefused(agent, 3, FAR), "the server answers by rules at once");
        assertEquals(1, model.calls.size());
        agent.onClose();
        assertEquals(1, model.closes, "closed once");
    }

    @Test
    void shouldSwapBetweenBatchesAndCloseEachPredictorOnce()
    {
        final InferenceAgent agent = agent(2, 0);
        final FakePredictor v1 = new FakePredictor("v1");
        final FakePredictor v2 = new FakePredictor("v2");
        agent.swap(v1);
        assertSame(v1, agent.predictor());
        assertNull(agent.model(), "not an IntentModel");
        final InferenceRequest q0 = offered(agent, 0, FAR);
        agent.doWork();
        assertAnswered(q0, "v1");

        // a swap during a batch: that batch finishes on v1, which is closed when the next batch starts
        v1.onPredict = call ->
        {
            if (call == 2)
            {
                agent.swap(v2);
            }
        };
        final InferenceRequest q1 = offered(agent, 1, FAR);
        final InferenceRequest q2 = offered(agent, 2, FAR);
        final InferenceRequest q3 = offered(agent, 3, FAR);
        agent.doWork();
        assertAnswered(q1, "v1");
        assertAnswered(q2, "v1");
        assertEquals(0, v1.closes, "closed by the agent, after its last batch");
        agent.doWork();
        assertAnswered(q3, "v2");
        assertEquals(1, v1.closes);
        assertEquals(0, v2.closes);

        // two swaps before the agent looks: the one never served is closed by the second swap
        final FakePredictor v3 = new FakePredictor("v3");
        final FakePredictor v4 = new FakePredictor("v4");
        agent.swap(v3);
        agent.swap(v4);
        assertEquals(1, v3.closes);
        assertSame(v4, agent.predictor());
        final InferenceRequest q4 = offered(agent, 4, FAR);
        agent.doWork();
        assertAnswered(q4, "v4");
        assertEquals(List.of(), v3.calls);
        assertEquals(1, v2.closes);

        // closing the agent answers what is queued no_model and closes the model in service
        final InferenceRequest q5 = offered(agent, 5, FAR);
        agent.onClose();
        assertFellBack(q5, FallbackReason.NO_MODEL);
        assertEquals(FallbackReason.NO_MODEL, offerRefused(agent, 6, FAR));
        assertEquals(List.of(1, 1, 1, 1), List.of(v1.closes, v2.closes, v3.closes, v4.closes), "each closed once");
    }

    @Test
    void shouldLogOneClearErrorLinePerFailedBatchThenRateLimitByKind()
    {
        final InferenceAgent agent = new InferenceAgent(64, 4, 0, clock,
            new RateLimitedErrorLog(LoggerFactory.getLogger(InferenceAgent.class), "inference", 10_000 * MS, clock),
            InferenceAgent.newStandaloneCounter());
        final FakePredictor model = new FakePredictor("v1");
        model.onPredict = call ->
        {
            throw call == 3 ? new IllegalArgumentException("bad input") : new IllegalStateException("session closed");
        };
        agent.swap(model);

        final List<String> first = errorLines(() ->
        {
            offered(agent, 0, FAR);
            offered(agent, 1, FAR);
            agent.doWork();
        });
        assertEquals(1, first.size(), "one ERROR line: " + first);
        assertTrue(first.get(0).endsWith("ERROR ivbot.inference.batch.InferenceAgent - inference: "
            + "ivbot.inference.batch.BatchFailedException: batch of 2 requests on model v1 failed, answered model_error: "
            + "java.lang.IllegalStateException: session closed"), first.get(0));

        final List<String> more = errorLines(() ->
        {
            clock.advance(1000 * MS);
            offered(agent, 2, FAR);
            agent.doWork();
            offered(agent, 3, FAR);
            agent.doWork();
            clock.advance(1000 * MS);
            offered(agent, 4, FAR);
            agent.doWork();
        });
        assertEquals(1, more.size(), "the same kind within 10 s is suppressed, another kind is not: " + more);
        assertTrue(more.get(0).endsWith("java.lang.IllegalArgumentException: bad input"), more.get(0));

        final List<String> later = errorLines(() ->
        {
            clock.advance(9000 * MS);
            offered(agent, 5, FAR);
            agent.doWork();
        });
        assertEquals(1, later.size(), later.toString());
        assertTrue(later.get(0).endsWith("java.lang.IllegalStateException: session closed "
            + "(2 more like it suppressed in the last 11000 ms)"), later.get(0));
        assertEquals(5, agent.errors(), "every failed batch counted, logged or not");
        assertEquals(5, agent.failedBatches());
    }

    /** Runs {@code action} and returns the ERROR lines SLF4J's simple provider wrote to stderr meanwhile. */
    private static List<String> errorLines(final Runnable action)
    {
        final PrintStream stderr = System.err;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try
        {
            action.run();
        }
        finally
        {
            System.setErr(stderr);
        }
        final String log = captured.toString(StandardCharsets.UTF_8);
        stderr.print(log);
        final List<String> lines = new ArrayList<>();
        for (final String line : log.split("\n"))
        {
            if (line.contains(" ERROR "))
            {
                lines.add(line);
            }
        }
        return lines;
    }

    @FunctionalInterface
    private interface PredictHook
    {
        void beforePredict(int call) throws Exception;
    }

    /** Answers {@code q<n>} with the n-th intent (mod 24); records its calls and closes. */
    private static final class FakePredictor implements BatchPredictor
    {
        final String version;
        final List<List<String>> calls = new ArrayList<>();
        final List<List<String>> contextCalls = new ArrayList<>();
        PredictHook onPredict = call -> { };
        int closes;

        FakePredictor(final String version)
        {
            this.version = version;
        }

        static Intent intentOf(final String text)
        {
            return Models.catalog().intents().get(Integer.parseInt(text.substring(1)) % Models.catalog().size());
        }

        @Override
        public String version()
        {
            return version;
        }

        @Override
        public void predict(final List<String> normalizedTexts, final Prediction[] out) throws Exception
        {
            assertFalse(closes > 0, version + " used after close");
            calls.add(List.copyOf(normalizedTexts));
            onPredict.beforePredict(calls.size());
            for (int i = 0; i < normalizedTexts.size(); i++)
            {
                out[i] = new Prediction(intentOf(normalizedTexts.get(i)), 0.9f, version);
            }
        }

        @Override
        public void predict(final List<String> contexts, final List<String> normalizedTexts, final Prediction[] out)
            throws Exception
        {
            contextCalls.add(java.util.Collections.unmodifiableList(new ArrayList<>(contexts)));
            predict(normalizedTexts, out);
        }

        @Override
        public void close()
        {
            closes++;
        }
    }
}
