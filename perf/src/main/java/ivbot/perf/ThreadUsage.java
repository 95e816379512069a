package ivbot.perf;

import javax.management.MBeanServerConnection;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Per-thread CPU and allocation of another JVM, read from outside it, grouped by what the threads do.
 * <p>
 * <ul>
 *   <li><b>CPU</b>, every thread of the process, Java or native (ONNX Runtime's, the GC's, the JIT's): the
 *   first field of {@code /proc/<pid>/task/<tid>/schedstat} (nanoseconds on a CPU), or where the kernel keeps
 *   no schedstat, {@code utime + stime} of {@code /proc/<pid>/task/<tid>/stat} in clock ticks. A thread is
 *   named by its {@code comm}: the first 15 bytes of its Java name.</li>
 *   <li><b>Allocation</b>, Java threads only: {@code com.sun.management.ThreadMXBean.getThreadAllocatedBytes}
 *   over a JMX connection ({@code serve --jmx-port}), by full thread name.</li>
 *   <li><b>GC pauses</b>: the {@code Pause} lines that a {@code -Xlog:gc:file=F} log gained in the window,
 *   each line's last {@code <n>ms}.</li>
 * </ul>
 * A window is the difference of two {@link Snapshot}s. A thread that started inside it counts from zero; one
 * that ended inside it is lost (the server's threads live as long as it does). Not thread-safe: one caller.
 */
final class ThreadUsage
{
    /** Clock ticks a second of {@code /proc/.../stat}'s {@code utime} and {@code stime} (USER_HZ on Linux). */
    static final long TICKS_PER_SECOND = 100;

    private static final Pattern PAUSE_MS = Pattern.compile("\\bPause\\b.*?(\\d+(?:\\.\\d+)?)ms\\s*$");

    /**
     * What a thread does, from its name; the prefixes are those the server's threads have today (Netty's
     * default event-loop names, the inference agent's role name, HotSpot's own threads).
     */
    enum Group
    {
        /** Netty event loops: {@code multiThreadIoEventLoopGroup-N-M}, or {@code ivbot-io-*}. */
        EVENT_LOOP("event_loop"),
        /** The inference agent's thread, {@code ivbot-inference}. */
        INFERENCE("inference"),
        /** HotSpot's compiler threads, {@code C1 CompilerThread0}, {@code C2 CompilerThread0}. */
        JIT("jit"),
        /** Garbage-collector threads: {@code GC Thread#0}, {@code G1 ...}, the VM thread (safepoints). */
        GC("gc"),
        /** Everything else: ONNX Runtime's own pool, JMX, metrics, timers. */
        OTHER("other");

        final String key;

        Group(final String key)
        {
            this.key = key;
        }

        /**
         * @param name a thread name, full (Java) or cut to 15 bytes ({@code comm}).
         * @return its group.
         */
        static Group of(final String name)
        {
            if (name.startsWith("multiThreadIoEv") || name.startsWith("ivbot-io") || name.startsWith("nioEventLoopGro")
                || name.startsWith("epollEventLoopG"))
            {
                return EVENT_LOOP;
            }
            if (name.startsWith("ivbot-inference"))
            {
                return INFERENCE;
            }
            if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre"))
            {
                return JIT;
            }
            if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.equals("VM Thread"))
            {
                return GC;
            }
            return OTHER;
        }
    }

    /**
     * One reading of a process.
     *
     * @param nanoTime    {@link System#nanoTime()} when it was taken.
     * @param cpuNs       CPU time by thread id (tid), ns.
     * @param threadNames {@code comm} by tid.
     * @param allocated   allocated bytes by Java thread id; empty without JMX.
     * @param javaNames   Java thread names by Java thread id.
     * @param gcLogBytes  the GC log's length, 0 without a log.
     */
    record Snapshot(long nanoTime, Map<Long, Long> cpuNs, Map<Long, String> threadNames, Map<Long, Long> allocated,
                    Map<Long, String> javaNames, long gcLogBytes)
    {
    }

    /**
     * What a window cost.
     *
     * @param wallNs     the window's length, ns.
     * @param cpuNs      CPU by group, ns.
     * @param allocated  allocated bytes by group; empty without JMX.
     * @param gcPausesMs the GC pauses that began in the window, ms, in log order.
     */
    record Window(long wallNs, Map<Group, Long> cpuNs, Map<Group, Long> allocated, List<Double> gcPausesMs)
    {
        /** @return CPU over all threads, ns. */
        long totalCpuNs()
        {
            return cpuNs.values().stream().mapToLong(Long::longValue).sum();
        }

        /** @return allocated bytes over all Java threads, -1 without JMX. */
        long totalAllocated()
        {
            return allocated.isEmpty() ? -1 : allocated.values().stream().mapToLong(Long::longValue).sum();
        }

        /**
         * @param percentile 0..100.
         * @return that percentile of the pauses (nearest rank), ms; 0 when there were none.
         */
        double gcPauseMs(final double percentile)
        {
            if (gcPausesMs.isEmpty())
            {
                return 0;
            }
            final double[] sorted = gcPausesMs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            final int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
            return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
        }
    }

    private ThreadUsage()
    {
    }

    /**
     * Reads a process now.
     *
     * @param taskDir {@code /proc/<pid>/task}.
     * @param jmx     a connection to the process's platform MBean server, or {@code null}: no allocation figures.
     * @param gcLog   its {@code -Xlog:gc} file, or {@code null}.
     * @return the reading.
     * @throws IOException when {@code taskDir} or JMX cannot be read.
     */
    static Snapshot take(final Path taskDir, final MBeanServerConnection jmx, final Path gcLog) throws IOException
    {
        final long now = System.nanoTime();
        final Map<Long, Long> cpu = new HashMap<>();
        final Map<Long, String> names = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(taskDir))
        {
            for (final Path task : tasks)
            {
                final long tid = Long.parseLong(task.getFileName().toString());
                try
                {
                    final String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
                    names.put(tid, commOf(stat));
                    cpu.put(tid, cpuNs(task, stat));
                }
                catch (final NoSuchFileException ended)
                {
                    // the thread ended between the listing and the read
                }
            }
        }
        final Map<Long, Long> allocated = new HashMap<>();
        final Map<Long, String> javaNames = new HashMap<>();
        if (jmx != null)
        {
            final com.sun.management.ThreadMXBean threads = ManagementFactory.newPlatformMXBeanProxy(jmx,
                ManagementFactory.THREAD_MXBEAN_NAME, com.sun.management.ThreadMXBean.class);
            final long[] ids = threads.getAllThreadIds();
            final long[] bytes = threads.getThreadAllocatedBytes(ids);
            final ThreadInfo[] infos = threads.getThreadInfo(ids);
            for (int i = 0; i < ids.length; i++)
            {
                if (infos[i] != null && bytes[i] >= 0)
                {
                    allocated.put(ids[i], bytes[i]);
                    javaNames.put(ids[i], infos[i].getThreadName());
                }
            }
        }
        final long gcLogBytes = gcLog != null && Files.exists(gcLog) ? Files.size(gcLog) : 0;
        return new Snapshot(now, cpu, names, allocated, javaNames, gcLogBytes);
    }

    /**
     * @param before the window's start.
     * @param after  its end, of the same process.
     * @param gcLog  the {@code -Xlog:gc} file both were taken with, or {@code null}.
     * @return what the window cost, by group.
     * @throws IOException when the GC log cannot be read.
     */
    static Window between(final Snapshot before, final Snapshot after, final Path gcLog) throws IOException
    {
        final Map<Group, Long> cpu = new EnumMap<>(Group.class);
        for (final Group group : Group.values())
        {
            cpu.put(group, 0L);
        }
        after.cpuNs.forEach((tid, ns) ->
            cpu.merge(Group.of(after.threadNames.get(tid)), Math.max(0, ns - before.cpuNs.getOrDefault(tid, 0L)), Long::sum));
        final Map<Group, Long> allocated = new EnumMap<>(Group.class);
        if (!after.allocated.isEmpty())
        {
            for (final Group group : Group.values())
            {
                allocated.put(group, 0L);
            }
            after.allocated.forEach((id, bytes) -> allocated.merge(Group.of(after.javaNames.get(id)),
                Math.max(0, bytes - before.allocated.getOrDefault(id, 0L)), Long::sum));
        }
        final List<Double> pauses = gcLog == null ? List.of()
            : pausesMs(readRange(gcLog, before.gcLogBytes, after.gcLogBytes));
        return new Window(after.nanoTime - before.nanoTime, cpu, allocated, pauses);
    }

    /**
     * @param stat the contents of a {@code /proc/<pid>/task/<tid>/stat} file.
     * @return the thread's {@code comm}, the text between the first {@code (} and the last {@code )}.
     */
    static String commOf(final String stat)
    {
        return stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    }

    /**
     * @param stat the contents of a {@code /proc/<pid>/task/<tid>/stat} file.
     * @return {@code utime + stime} (fields 14 and 15), clock ticks.
     */
    static long ticksOf(final String stat)
    {
        // fields after the comm, which may hold spaces and parentheses: state is field 3, utime 14, stime 15
        final String[] rest = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Long.parseLong(rest[11]) + Long.parseLong(rest[12]);
    }

    /**
     * @param log lines of a {@code -Xlog:gc} file.
     * @return the duration of each {@code Pause} line, ms.
     */
    static List<Double> pausesMs(final String log)
    {
        final List<Double> pauses = new ArrayList<>();
        for (final String line : log.split("\n"))
        {
            final Matcher m = PAUSE_MS.matcher(line);
            if (m.find())
            {
                pauses.add(Double.parseDouble(m.group(1)));
            }
        }
        return pauses;
    }

    private static long cpuNs(final Path task, final String stat) throws IOException
    {
        try
        {
            final String schedstat = Files.readString(task.resolve("schedstat"), StandardCharsets.US_ASCII).trim();
            return Long.parseLong(schedstat.substring(0, schedstat.indexOf(' ')));
        }
        catch (final NoSuchFileException | NumberFormatException | StringIndexOutOfBoundsException noSchedstat)
        {
            return ticksOf(stat) * (1_000_000_000L / TICKS_PER_SECOND);
        }
    }

    private static String readRange(final Path file, final long from, final long to) throws IOException
    {
        if (to <= from)
        {
            return "";
        }
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r"))
        {
            final byte[] bytes = new byte[Math.toIntExact(to - from)];
            in.seek(from);
            in.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }
}
