package ivbot.jcstress;

import ivbot.inference.batch.FallbackReason;
import ivbot.inference.batch.InferenceRequest;
import ivbot.inference.batch.InferenceResult;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Two threads complete the same {@link InferenceRequest}, as the inference agent (a model answer) and the
 * server's deadline timer do: exactly one {@code complete} returns true, the callback runs once, and it
 * receives the winner's result. The callback runs on the completing thread ({@code Runnable::run}).
 * <p>
 * r1, r2: whether each actor's {@code complete} won; r3: callback runs; r4: which result the callback got
 * (1: the first actor's {@code model_error}, 2: the second actor's {@code deadline}).
 */
@JCStressTest
@Description("InferenceRequest.complete: exactly one of two racing completions wins and the callback runs once")
@Outcome(id = "1, 0, 1, 1", expect = ACCEPTABLE, desc = "the first actor won; its result delivered once")
@Outcome(id = "0, 1, 1, 2", expect = ACCEPTABLE, desc = "the second actor won; its result delivered once")
@Outcome(expect = FORBIDDEN, desc = "both or neither won, the callback ran other than once, or got the loser's result")
@State
public class InferenceRequestCompleteOnceTest
{
    private static final InferenceResult FIRST = InferenceResult.fallback(FallbackReason.MODEL_ERROR);
    private static final InferenceResult SECOND = InferenceResult.fallback(FallbackReason.DEADLINE);

    private final AtomicInteger callbacks = new AtomicInteger();
    private final AtomicReference<InferenceResult> delivered = new AtomicReference<>();
    private final InferenceRequest request = new InferenceRequest("q", 0, 1, Runnable::run, result ->
    {
        callbacks.incrementAndGet();
        delivered.set(result);
    });

    @Actor
    public void first(final IIII_Result r)
    {
        r.r1 = request.complete(FIRST) ? 1 : 0;
    }

    @Actor
    public void second(final IIII_Result r)
    {
        r.r2 = request.complete(SECOND) ? 1 : 0;
    }

    @Arbiter
    public void arbiter(final IIII_Result r)
    {
        r.r3 = callbacks.get();
        final InferenceResult got = delivered.get();
        r.r4 = got == FIRST ? 1 : got == SECOND ? 2 : 0;
    }
}
