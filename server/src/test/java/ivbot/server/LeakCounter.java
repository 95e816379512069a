package ivbot.server;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the buffer leaks Netty's (paranoid) leak detector reports in this test JVM. Installed by the
 * JUnit launcher before any test runs (see {@code META-INF/services}), so it is in place before the first
 * {@code ByteBuf} class creates its detector. Tests that hunt leaks assert {@link #leaks()} stays 0.
 */
public final class LeakCounter implements LauncherSessionListener
{
    private static final AtomicLong LEAKS = new AtomicLong();

    @Override
    public void launcherSessionOpened(final LauncherSession session)
    {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory()
        {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(
                final Class<T> resource, final int samplingInterval, final long maxActive)
            {
                return new ResourceLeakDetector<T>(resource, samplingInterval)
                {
                    @Override
                    protected void reportTracedLeak(final String resourceType, final String records)
                    {
                        LEAKS.incrementAndGet();
                        super.reportTracedLeak(resourceType, records);
                    }

                    @Override
                    protected void reportUntracedLeak(final String resourceType)
                    {
                        LEAKS.incrementAndGet();
                        super.reportUntracedLeak(resourceType);
                    }
                };
            }
        });
    }

    /**
     * @return leaks reported so far in this JVM.
     */
    public static long leaks()
    {
        return LEAKS.get();
    }
}
