package ivbot.perf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-thread readings of this test's own JVM: its {@code /proc/self} tasks and its platform MBean server.
 */
class ThreadUsageTest
{
    private static final Path SELF_TASKS = Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "task");
    private static final long ALLOCATED_BYTES = 64L << 20;
    private static final long BURNED_CPU_NS = TimeUnit.MILLISECONDS.toNanos(300);

    static volatile Object sink;
    static volatile long spun;

    @Test
    void shouldGroupThreadsByTheirNamesFullOrCutTo15Bytes()
    {
        assertEquals(ThreadUsage.Group.EVENT_LOOP, ThreadUsage.Group.of("multiThreadIoEventLoopGroup-2-1"));
        assertEquals(ThreadUsage.Group.EVENT_LOOP, ThreadUsage.Group.of("multiThreadIoEv"));
        assertEquals(ThreadUsage.Group.EVENT_LOOP, ThreadUsage.Group.of("ivbot-io-3"));
        assertEquals(ThreadUsage.Group.INFERENCE, ThreadUsage.Group.of("ivbot-inference"));
        assertEquals(ThreadUsage.Group.JIT, ThreadUsage.Group.of("C2 CompilerThre"));
        assertEquals(ThreadUsage.Group.JIT, ThreadUsage.Group.of("C1 CompilerThread0"));
        assertEquals(ThreadUsage.Group.GC, ThreadUsage.Group.of("GC Thread#1"));
        assertEquals(ThreadUsage.Group.GC, ThreadUsage.Group.of("G1 Conc#0"));
        assertEquals(ThreadUsage.Group.OTHER, ThreadUsage.Group.of("ivbot-metrics"));
        assertEquals(ThreadUsage.Group.OTHER, ThreadUsage.Group.of("RMI TCP Connect"));
    }

    @Test
    void shouldReadCommAndTicksWhenTheNameHoldsSpacesAndParentheses()
    {
        final String stat = "4383 (C2 (Compiler) x) S 4373 4373 1 0 -1 4210752 5 0 0 0 731 42 0 0 20 0 30 0 2094 0 0";
        assertEquals("C2 (Compiler) x", ThreadUsage.commOf(stat));
        assertEquals(773, ThreadUsage.ticksOf(stat));
    }

    @Test
    void shouldTakeThePauseLinesOfAGcLogOnly()
    {
        final String log = String.join("\n",
            "[0.011s][info][gc] Using G1",
            "[3.120s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 23M->4M(256M) 2.345ms",
            "[5.001s][info][gc] GC(1) Concurrent Mark Cycle 12.500ms",
            "[5.002s][info][gc] GC(1) Pause Remark 30M->30M(256M) 0.812ms",
            "[6.000s][info][gc] GC(2) Pause Young (Normal) (G1 Evacuation Pause) 25M->5M(256M) 11ms");
        assertEquals(List.of(2.345, 0.812, 11.0), ThreadUsage.pausesMs(log));
    }

    @Test
    void shouldTakeTheNearestRankPercentileOfPauses()
    {
        final ThreadUsage.Window window = new ThreadUsage.Window(1, java.util.Map.of(), java.util.Map.of(),
            List.of(5.0, 1.0, 3.0, 2.0, 4.0));
        assertEquals(5.0, window.gcPauseMs(99));
        assertEquals(3.0, window.gcPauseMs(50));
        assertEquals(0.0, new ThreadUsage.Window(1, java.util.Map.of(), java.util.Map.of(), List.of()).gcPauseMs(99));
    }

    @Test
    @Timeout(60)
    void shouldChargeAnEventLoopThreadsCpuAndAllocationToItsGroup(@TempDir final Path dir) throws Exception
    {
        final Path gcLog = dir.resolve("gc.log");
        Files.writeString(gcLog, "[0.1s][info][gc] GC(0) Pause Young (Normal) 9M->1M(64M) 7.000ms\n");
        final CountDownLatch worked = new CountDownLatch(1);
        final CountDownLatch measured = new CountDownLatch(1);
        final Thread loop = new Thread(() ->
        {
            // CPU (by this thread's own clock: on a shared machine wall time is not CPU time) and allocation in
            // the window; the thread stays alive until the second reading
            for (long chunk = 0; chunk < ALLOCATED_BYTES >> 20; chunk++)
            {
                sink = new byte[1 << 20];
            }
            // reading the thread's CPU clock allocates a little: read it once per million rounds of arithmetic
            final java.lang.management.ThreadMXBean clock = ManagementFactory.getThreadMXBean();
            final long cpuUntil = clock.getCurrentThreadCpuTime() + BURNED_CPU_NS;
            long x = 1;
            while (clock.getCurrentThreadCpuTime() < cpuUntil)
            {
                for (int i = 0; i < 1_000_000; i++)
                {
                    x = x * 6364136223846793005L + 1442695040888963407L;
                }
            }
            spun = x;
            worked.countDown();
            awaitQuietly(measured);
        }, "multiThreadIoEventLoopGroup-9-1");
        final ThreadUsage.Snapshot before = ThreadUsage.take(SELF_TASKS, ManagementFactory.getPlatformMBeanServer(), gcLog);
        loop.start();
        assertTrue(worked.await(30, TimeUnit.SECONDS));
        Files.writeString(gcLog, "[0.9s][info][gc] GC(1) Pause Young (Normal) 9M->1M(64M) 1.500ms\n",
            StandardOpenOption.APPEND);
        final ThreadUsage.Snapshot after = ThreadUsage.take(SELF_TASKS, ManagementFactory.getPlatformMBeanServer(), gcLog);
        measured.countDown();
        loop.join(TimeUnit.SECONDS.toMillis(30));

        final ThreadUsage.Window window = ThreadUsage.between(before, after, gcLog);
        final long loopCpuNs = window.cpuNs().get(ThreadUsage.Group.EVENT_LOOP);
        // schedstat is exact; stat's ticks (10 ms) are sampled: allow one tick under
        assertTrue(loopCpuNs >= BURNED_CPU_NS - TimeUnit.MILLISECONDS.toNanos(10)
            && loopCpuNs < BURNED_CPU_NS + TimeUnit.SECONDS.toNanos(1), "event-loop CPU " + loopCpuNs + " ns");
        assertTrue(window.totalCpuNs() >= loopCpuNs);
        final long loopBytes = window.allocated().get(ThreadUsage.Group.EVENT_LOOP);
        assertTrue(loopBytes >= ALLOCATED_BYTES && loopBytes < ALLOCATED_BYTES + (8 << 20), "event-loop bytes " + loopBytes);
        assertEquals(List.of(1.5), window.gcPausesMs(), "only the pause logged inside the window");
    }

    @Test
    @Timeout(60)
    void shouldPrintTheMachineLineAfterTheCommandAndPassItsStatusOn()
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        final int status = ThreadUsageMain.execute(new String[] {"--pid", Long.toString(ProcessHandle.current().pid()),
            "--", "sh", "-c", "exit 3"}, out, out);
        final String printed = bytes.toString(StandardCharsets.UTF_8).trim();
        assertEquals(3, status, printed);
        assertTrue(printed.startsWith("usage: wall_s="), printed);
        assertTrue(printed.contains(" cpu_ms_event_loop=") && printed.contains(" cpu_ms_inference=")
            && printed.contains(" alloc_bytes=-1 ") && printed.contains(" gc_pauses=0 "), printed);
    }

    private static void awaitQuietly(final CountDownLatch latch)
    {
        try
        {
            latch.await(30, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
