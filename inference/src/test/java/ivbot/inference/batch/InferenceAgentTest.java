package ivbot.inference.batch;

import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.LabelledQuery;
import ivbot.inference.model.BatchPredictor;
import ivbot.inference.model.IntentModel;
import ivbot.inference.model.ModelPackage;
import ivbot.inference.model.Models;
import ivbot.inference.model.Prediction;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class InferenceAgentTest
{
    private AgentRunner runner;
    private final ExecutorService callbacks = Executors.newFixedThreadPool(2);

    @AfterEach
    void stop()
    {
        if (runner != null)
        {
            runner.close();
        }
        callbacks.shutdownNow();
    }

    private InferenceAgent start(final int capacity, final int maxBatch, final long delayUs, final IntentModel model)
    {
        final InferenceAgent agent = new InferenceAgent(capacity, maxBatch, delayUs);
        if (model != null)
        {
            agent.swap(model);
        }
        runner = new AgentRunner(agent.idleStrategy(), Throwable::printStackTrace, null, agent);
        AgentRunner.startOnThread(runner);
        return agent;
    }

    private static long far()
    {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    }

    @Test
    void shouldAnswerEveryRequestOnceUnderManyConcurrentProducers() throws Exception
    {
        final InferenceAgent agent = start(4096, 16, 1000, ModelPackage.load(Models.shippedPackage(), Models.catalog(), "cpu", 1, 16));
        final List<LabelledQuery> dev = Models.dev();
        final int producers = 8;
        final int perProducer = 100;
        final ConcurrentHashMap<Integer, AtomicInteger> answers = new ConcurrentHashMap<>();
        final AtomicInteger correct = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final CountDownLatch done = new CountDownLatch(producers * perProducer);
        final Thread[] threads = new Thread[producers];
        for (int p = 0; p < producers; p++)
        {
            final int producer = p;
            threads[p] = new Thread(() ->
            {
                for (int i = 0; i < perProducer; i++)
                {
                    final int id = producer * perProducer + i;
                    final LabelledQuery row = dev.get(id % dev.size());
                    answers.put(id, new AtomicInteger());
                    final InferenceRequest request = new InferenceRequest(TextNormalizer.normalize(row.text()),
                        System.nanoTime(), far(), callbacks, result ->
                        {
                            answers.get(id).incrementAndGet();
                            if (result.prediction() != null && result.prediction().intent().equals(row.intent()))
                            {
                                correct.incrementAndGet();
                            }
                            done.countDown();
                        });
                    final FallbackReason reason = agent.offer(request);
                    if (reason != null)
                    {
                        refused.incrementAndGet();
                        answers.get(id).incrementAndGet();
                        done.countDown();
                    }
                }
            });
            threads[p].start();
        }
        assertTrue(done.await(90, TimeUnit.SECONDS), "all requests answered");
        for (final Thread t : threads)
        {
            t.join();
        }
        assertEquals(producers * perProducer, answers.size());
        answers.forEach((id, count) -> assertEquals(1, count.get(), "request " + id + " answered once"));
        assertEquals(0, refused.get());
        assertEquals(producers * perProducer, agent.predicted());
        assertTrue(agent.batches() < producers * perProducer, "requests were batched: " + agent.batches() + " batches");
        assertTrue(correct.get() > 0.9 * producers * perProducer, "answers are the model's: " + correct.get());
    }

    @Test
    void shouldNotRunARequestWhoseDeadlinePassedBeforeItsBatch() throws Exception
    {
        final long now = System.nanoTime();
        // admission, on an agent whose thread is not running (so the queue holds what is offered)
        final InferenceAgent idle = new InferenceAgent(64, 16, 300_000);
        idle.swap(dummyModel());
        assertNull(idle.offer(new InferenceRequest("年假", now, now + 50_000_000L, callbacks, r -> { })), "an empty queue admits");
        assertEquals(FallbackReason.QUEUE_FULL, idle.offer(new InferenceRequest("病假", now, now + 50_000_000L, callbacks, r -> { })),
            "behind one queued request: a ~5 ms batch plus the 300 ms batch delay exceed the 50 ms deadline");
        assertEquals(FallbackReason.DEADLINE, idle.offer(new InferenceRequest("婚假", now, now, callbacks, r -> { })));
        idle.onClose();

        // a batch that never fills and waits 300 ms: the request's 50 ms deadline passes first
        final InferenceAgent agent = start(64, 16, 300_000, ModelPackage.load(Models.shippedPackage(), Models.catalog(), "cpu", 1, 16));
        final AtomicReference<InferenceResult> got = new AtomicReference<>();
        final CountDownLatch done = new CountDownLatch(1);
        final long t0 = System.nanoTime();
        assertNull(agent.offer(new InferenceRequest("年假几天", t0, t0 + 50_000_000L, callbacks, r ->
        {
            got.set(r);
            done.countDown();
        })));
        assertTrue(done.await(30, TimeUnit.SECONDS));
        assertEquals(FallbackReason.DEADLINE, got.get().fallback(), "the batch never filled in time: not run");
        assertEquals(1, agent.expired());
        assertEquals(0, agent.predicted());
        final CountDownLatch done2 = new CountDownLatch(1);

        final InferenceAgent patient = new InferenceAgent(64, 16, 300_000);
        patient.swap(ModelPackage.load(Models.shippedPackage(), Models.catalog(), "cpu", 1, 16));
        final InferenceRequest late = new InferenceRequest("年假几天", now - 400_000_000L, now + 60_000_000_000L, callbacks, r ->
        {
            got.set(r);
            done2.countDown();
        });
        assertNull(patient.offer(late));
        final InferenceRequest expired = new InferenceRequest("病假", now - 400_000_000L, now - 1, callbacks, r -> { });
        patient.offer(expired);
        patient.doWork();
        assertTrue(done2.await(30, TimeUnit.SECONDS));
        assertTrue(got.get().prediction() != null, "the live request ran");
        assertEquals(1, patient.expired(), "the expired one was dropped, not run");
        assertEquals(1, patient.predicted());
        patient.onClose();
    }

    @Test
    void shouldRefuseAtOnceWhenTheQueueIsFull()
    {
        // not started: nothing drains the queue
        final InferenceAgent agent = new InferenceAgent(4, 16, 1000);
        assertEquals(FallbackReason.NO_MODEL, agent.offer(new InferenceRequest("x", System.nanoTime(), far(), Runnable::run, r -> { })));
        agent.swap(null);
        final InferenceAgent loaded = new InferenceAgent(4, 16, 1000);
        loaded.swap(dummyModel());
        int accepted = 0;
        int full = 0;
        for (int i = 0; i < 10; i++)
        {
            final FallbackReason reason = loaded.offer(new InferenceRequest("x" + i, System.nanoTime(), far(), Runnable::run, r -> { }));
            if (reason == null)
            {
                accepted++;
            }
            else
            {
                assertEquals(FallbackReason.QUEUE_FULL, reason);
                full++;
            }
        }
        assertEquals(4, accepted);
        assertEquals(6, full);
        loaded.onClose();
    }

    @Test
    void shouldFailTheBatchWithModelErrorAndKeepRunning() throws Exception
    {
        final IntentModel broken = ModelPackage.load(Models.shippedPackage(), Models.catalog(), "cpu", 1, 16);
        broken.close(); // a closed session throws on run
        final InferenceAgent agent = start(64, 4, 0, broken);
        final AtomicReference<InferenceResult> got = new AtomicReference<>();
        final CountDownLatch done = new CountDownLatch(1);
        assertNull(agent.offer(new InferenceRequest("年假几天", System.nanoTime(), far(), callbacks, r ->
        {
            got.set(r);
            done.countDown();
        })));
        assertTrue(done.await(30, TimeUnit.SECONDS));
        assertEquals(FallbackReason.MODEL_ERROR, got.get().fallback());
        assertEquals(1, agent.failedBatches());

        // swap in a working model: the agent goes on
        agent.swap(ModelPackage.load(Models.shippedPackage(), Models.catalog(), "cpu", 1, 16));
        final CountDownLatch second = new CountDownLatch(1);
        assertNull(agent.offer(new InferenceRequest("年假几天", System.nanoTime(), far(), callbacks, r ->
        {
            got.set(r);
            second.countDown();
        })));
        assertTrue(second.await(30, TimeUnit.SECONDS));
        assertTrue(got.get().prediction() != null);
    }

    @Test
    void shouldCountEachFailureOnceInTheCounterSharedWithTheRunner() throws Exception
    {
        final List<Throwable> reported = new CopyOnWriteArrayList<>();
        final AtomicCounter errors = InferenceAgent.newStandaloneCounter();
        final InferenceAgent agent = new InferenceAgent(64, 4, 0, SystemNanoClock.INSTANCE, reported::add, errors);
        final AtomicInteger calls = new AtomicInteger();
        final IntentModel real = dummyModel();
        agent.swap(new BatchPredictor()
        {
            @Override
            public String version()
            {
                return "flaky";
            }

            @Override
            public void predict(final List<String> normalizedTexts, final Prediction[] out) throws Exception
            {
                switch (calls.incrementAndGet())
                {
                    case 1 -> throw new IllegalStateException("test: session closed");
                    case 3 -> throw new OutOfMemoryError("test: Java heap space");
                    default -> real.predict(normalizedTexts, out);
                }
            }

            @Override
            public void close()
            {
                real.close();
            }
        });
        // as ModelRuntime wires it: the runner gets the agent's handler and counter
        runner = new AgentRunner(agent.idleStrategy(), reported::add, errors, agent);
        AgentRunner.startOnThread(runner);
        // an exception: that batch fails and the agent goes on; an Error: that batch fails and the agent ends
        final FallbackReason[] expected = {FallbackReason.MODEL_ERROR, null, FallbackReason.MODEL_ERROR};
        for (final FallbackReason reason : expected)
        {
            final AtomicReference<InferenceResult> got = new AtomicReference<>();
            final CountDownLatch done = new CountDownLatch(1);
            assertNull(agent.offer(new InferenceRequest("年假几天", System.nanoTime(), far(), Runnable::run, r ->
            {
                got.set(r);
                done.countDown();
            })));
            assertTrue(done.await(30, TimeUnit.SECONDS));
            assertEquals(reason, got.get().fallback());
        }
        runner.thread().join(30_000);
        assertEquals(Thread.State.TERMINATED, runner.thread().getState(), "Agrona's runner ends on an Error");
        assertEquals(FallbackReason.NO_MODEL, agent.offer(new InferenceRequest("年假几天", System.nanoTime(), far(),
            Runnable::run, r -> { })), "refused at once, not queued for a thread that is gone");
        assertEquals(2, agent.failedBatches());
        assertEquals(2, errors.get(), "the exception counted by the agent, the Error by the runner");
        assertEquals(2, agent.errors());
        assertEquals(2, reported.size(), reported.toString());
        assertTrue(reported.get(0) instanceof BatchFailedException, reported.toString());
        assertTrue(reported.get(1) instanceof OutOfMemoryError, "the Error escaped to the runner: " + reported);
    }

    @Test
    void shouldCompleteARequestOnlyOnce()
    {
        final AtomicInteger calls = new AtomicInteger();
        final InferenceRequest request = new InferenceRequest("x", 0, 1, Runnable::run, r -> calls.incrementAndGet());
        assertTrue(request.complete(InferenceResult.fallback(FallbackReason.DEADLINE)));
        assertTrue(!request.complete(InferenceResult.fallback(FallbackReason.MODEL_ERROR)));
        assertEquals(1, calls.get());
    }

    @Test
    @Timeout(60)
    void shouldParkWhenIdleAndAnswerWhatIsOfferedWhileParked() throws Exception
    {
        final InferenceAgent agent = start(64, 16, 0, dummyModel());
        for (int round = 0; round < 20; round++)
        {
            // idle: the agent thread ends up parked (TIMED_WAITING), not spinning
            Thread.State state;
            do
            {
                Thread.onSpinWait();
                state = runner.thread() == null ? Thread.State.NEW : runner.thread().getState();
            }
            while (state != Thread.State.TIMED_WAITING);
            final CountDownLatch answered = new CountDownLatch(1);
            final AtomicReference<InferenceResult> result = new AtomicReference<>();
            assertNull(agent.offer(new InferenceRequest(round % 2 == 0 ? "年假几天" : "病假怎么请", System.nanoTime(), far(),
                Runnable::run, r ->
                {
                    result.set(r);
                    answered.countDown();
                })));
            assertTrue(answered.await(30, TimeUnit.SECONDS), "round " + round);
            assertNull(result.get().fallback(), "round " + round);
        }
        assertEquals(20, agent.predicted());
    }

    private static IntentModel dummyModel()
    {
        try
        {
            return ModelPackage.load(Models.shippedPackage(), Models.catalog(), "cpu", 1, 16);
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }
}
