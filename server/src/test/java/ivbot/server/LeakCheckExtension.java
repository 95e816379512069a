package ivbot.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fails a test class that leaked a Netty buffer: after its last test it collects garbage, lets the leak
 * detector (paranoid in this build) look at what was collected by allocating a few buffers, and compares the
 * leaks {@link LeakCounter} has seen with the count before the class began. Registered for every class of
 * this module by JUnit's extension auto-detection ({@code junit-platform.properties}).
 * <p>
 * A leak is reported when its buffer is collected, so one that outlives its class by far can still show up
 * in a later class; the JVM-wide check in {@code HostileInputTest} stays as the backstop.
 */
public final class LeakCheckExtension implements BeforeAllCallback, AfterAllCallback
{
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LeakCheckExtension.class);

    @Override
    public void beforeAll(final ExtensionContext context)
    {
        context.getStore(NS).put("leaks", LeakCounter.leaks());
    }

    @Override
    public void afterAll(final ExtensionContext context)
    {
        final Long before = context.getStore(NS).get("leaks", Long.class);
        if (before == null)
        {
            return;
        }
        for (int round = 0; round < 3; round++)
        {
            System.gc();
            // the detector polls its queue of collected buffers when a tracked buffer is made
            for (int i = 0; i < 64; i++)
            {
                final ByteBuf probe = ByteBufAllocator.DEFAULT.directBuffer(16);
                probe.release();
            }
        }
        assertEquals(before.longValue(), LeakCounter.leaks(),
            context.getRequiredTestClass().getSimpleName() + " leaked Netty buffers (see the LEAK: lines in its log)");
    }
}
