package ivbot.jcstress;

import ivbot.inference.batch.ManyToOneWakeup;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The inference agent's idle handshake, as the agent runs it: a producer offers into the agent's queue
 * type ({@link ManyToOneConcurrentArrayQueue}) and then calls {@link ManyToOneWakeup#wake()}, as
 * {@code InferenceAgent.offer} does; the agent announces it is about to park and re-checks the queue with
 * {@link ManyToOneWakeup#prepareToPark}, as its idle strategy does. The agent actor stops where the agent
 * would call {@code park}, so {@code parked} stays set as it does while the agent is parked.
 * <p>
 * r1: the producer found the agent parked (and unparked it); r2: the agent decided to park (saw no work).
 */
@JCStressTest
@Description("An offer racing the agent's decision to park never leaves a request queued behind a parked, unwoken agent")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "the agent saw the request and did not park; no wake needed")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the agent saw the request; the producer's wake leaves a spare permit")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "the agent parks; the producer saw it and wakes it")
@Outcome(id = "0, 1", expect = FORBIDDEN, desc = "lost wake-up: the agent parks on a queued request nobody wakes it for")
@State
public class WakeupHandshakeTest
{
    private final ManyToOneConcurrentArrayQueue<Object> queue = new ManyToOneConcurrentArrayQueue<>(16);
    private final ManyToOneWakeup wakeup = new ManyToOneWakeup();

    @Actor
    public void producer(final II_Result r)
    {
        queue.offer(Boolean.TRUE);
        r.r1 = wakeup.wake() ? 1 : 0;
    }

    @Actor
    public void agent(final II_Result r)
    {
        r.r2 = wakeup.prepareToPark(() -> !queue.isEmpty()) ? 1 : 0;
    }
}
