package ivbot.server.metrics;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM and process figures Prometheus users expect, read by hand from the platform MXBeans and
 * {@code /proc/self} once per reporter interval, under the names of the Prometheus Java client's JVM
 * instrumentation ({@code jvm_memory_used_bytes{area}}, {@code jvm_gc_collection_seconds{gc}},
 * {@code jvm_threads_current}, {@code process_cpu_seconds_total}, ...), so its dashboards work unchanged.
 * A figure the platform does not offer is -1 and its series is left out.
 *
 * @param heap                    heap memory, bytes.
 * @param nonHeap                 non-heap memory, bytes.
 * @param collectors              garbage collectors.
 * @param threads                 live threads.
 * @param daemonThreads           live daemon threads.
 * @param peakThreads             the most live threads since start.
 * @param processCpuSeconds       CPU time of the process, s, or -1.
 * @param residentMemoryBytes     resident set size, bytes, or -1 (Linux only).
 * @param openFds                 open file descriptors, or -1.
 * @param maxFds                  the file descriptor limit, or -1.
 * @param startTimeSeconds        the process start, seconds since the epoch.
 */
public record JvmFigures(MemoryFigures heap, MemoryFigures nonHeap, List<CollectorFigures> collectors, int threads,
    int daemonThreads, int peakThreads, double processCpuSeconds, long residentMemoryBytes, long openFds,
    long maxFds, double startTimeSeconds)
{
    private static final Path PROC_STATUS = Path.of("/proc/self/status");

    /**
     * Memory of one area.
     *
     * @param used      bytes in use.
     * @param committed bytes committed.
     * @param max       the most bytes it may grow to, or -1.
     */
    public record MemoryFigures(long used, long committed, long max)
    {
        static MemoryFigures of(final MemoryUsage usage)
        {
            return new MemoryFigures(usage.getUsed(), usage.getCommitted(), usage.getMax());
        }
    }

    /**
     * One garbage collector.
     *
     * @param name        its name, e.g. {@code G1 Young Generation}.
     * @param collections collections since start.
     * @param seconds     time spent collecting since start, s.
     */
    public record CollectorFigures(String name, long collections, double seconds)
    {
    }

    /**
     * Reads the figures now. Any thread; allocates a little (called once per interval).
     *
     * @return the figures.
     */
    public static JvmFigures sample()
    {
        final List<CollectorFigures> collectors = new ArrayList<>();
        for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans())
        {
            collectors.add(new CollectorFigures(gc.getName(), Math.max(0, gc.getCollectionCount()),
                Math.max(0, gc.getCollectionTime()) / 1000.0));
        }
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        double cpuSeconds = -1;
        long openFds = -1;
        long maxFds = -1;
        if (os instanceof com.sun.management.OperatingSystemMXBean)
        {
            final long cpuNs = ((com.sun.management.OperatingSystemMXBean)os).getProcessCpuTime();
            cpuSeconds = cpuNs < 0 ? -1 : cpuNs / 1e9;
        }
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean)
        {
            openFds = ((com.sun.management.UnixOperatingSystemMXBean)os).getOpenFileDescriptorCount();
            maxFds = ((com.sun.management.UnixOperatingSystemMXBean)os).getMaxFileDescriptorCount();
        }
        return new JvmFigures(
            MemoryFigures.of(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage()),
            MemoryFigures.of(ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage()),
            List.copyOf(collectors), threads.getThreadCount(), threads.getDaemonThreadCount(),
            threads.getPeakThreadCount(), cpuSeconds, readResidentMemoryBytes(), openFds, maxFds,
            ManagementFactory.getRuntimeMXBean().getStartTime() / 1000.0);
    }

    private static long readResidentMemoryBytes()
    {
        try
        {
            for (final String line : Files.readAllLines(PROC_STATUS, StandardCharsets.US_ASCII))
            {
                // "VmRSS:     123456 kB"
                if (line.startsWith("VmRSS:"))
                {
                    final String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        }
        catch (final IOException | RuntimeException notLinux)
        {
            // no /proc: the series is left out
        }
        return -1;
    }
}
