package ivbot.perf;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ThreadUsageMain --pid P [--jmx host:port] [--gc-log F] -- command...}: runs {@code command} (a load
 * run: {@code ./ivbot bench ...}, its output passed through) and prints what the process {@code P} spent while
 * it ran, from {@link ThreadUsage}: CPU by thread group (all threads, from {@code /proc}), bytes allocated by
 * group (Java threads, over JMX; with {@code --jmx}), and the GC pauses its {@code -Xlog:gc} file gained (with
 * {@code --gc-log}). The last line is machine-readable, CPU in ms, allocation in bytes ({@code -1}: no JMX):
 *
 * <pre>
 * usage: wall_s=W cpu_ms=C cpu_ms_event_loop=E cpu_ms_inference=I cpu_ms_jit=J cpu_ms_gc=G cpu_ms_other=O
 *        alloc_bytes=A alloc_bytes_event_loop=.. alloc_bytes_inference=.. alloc_bytes_jit=.. alloc_bytes_gc=..
 *        alloc_bytes_other=.. gc_pauses=N gc_pause_p99_ms=P gc_pause_max_ms=M          (one line)
 * </pre>
 *
 * The first reading is taken just before the command starts and the second just after it exits, so the
 * window is the command's run (start a load run with {@code --warmup 0s} after a separate warm-up run, so that
 * the window holds measured requests only). Runs on the calling thread. Exit status: the command's; 2 for a
 * bad setting, 1 when the process cannot be read.
 */
@Command(name = "ThreadUsageMain", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Per-thread-group CPU, allocation and GC pauses of process --pid while a command runs.")
public final class ThreadUsageMain implements Callable<Integer>
{
    @Option(names = "--pid", required = true, description = "The measured process (a JVM).")
    long pid;

    @Option(names = "--jmx", description = "host:port of its remote JMX (serve --jmx-port) for allocated bytes.")
    String jmx;

    @Option(names = "--gc-log", description = "Its -Xlog:gc file, for the GC pauses in the window.")
    Path gcLog;

    @Option(names = "--proc", description = "The proc file system (default: ${DEFAULT-VALUE}).")
    Path proc = Path.of("/proc");

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command whose run is the window.")
    List<String> command;

    private final PrintStream out;

    ThreadUsageMain(final PrintStream out)
    {
        this.out = out;
    }

    /**
     * @param args the command line.
     */
    public static void main(final String[] args)
    {
        System.exit(execute(args, System.out, System.err));
    }

    /**
     * @param args the arguments.
     * @param out  receives the command's report line.
     * @param err  receives errors.
     * @return the exit status.
     */
    static int execute(final String[] args, final PrintStream out, final PrintStream err)
    {
        return new CommandLine(new ThreadUsageMain(out))
            .setOut(new PrintWriter(out, true, StandardCharsets.UTF_8))
            .setErr(new PrintWriter(err, true, StandardCharsets.UTF_8))
            .setExecutionExceptionHandler((ex, cmd, parsed) ->
            {
                err.println("ThreadUsageMain: " + ex);
                return 1;
            })
            .execute(args);
    }

    @Override
    public Integer call() throws Exception
    {
        final Path taskDir = proc.resolve(Long.toString(pid)).resolve("task");
        JMXConnector connector = null;
        try
        {
            MBeanServerConnection connection = null;
            if (jmx != null)
            {
                connector = JMXConnectorFactory.connect(
                    new JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + jmx + "/jmxrmi"));
                connection = connector.getMBeanServerConnection();
            }
            // the JMX reads of the first reading run in the process after its /proc read, so their CPU (a few
            // ms, RMI threads: group "other") is inside the window; that of the second is not
            final ThreadUsage.Snapshot before = ThreadUsage.take(taskDir, connection, gcLog);
            final Process process = new ProcessBuilder(command).inheritIO().start();
            final int status = process.waitFor();
            final ThreadUsage.Snapshot after = ThreadUsage.take(taskDir, connection, gcLog);
            out.println(line(ThreadUsage.between(before, after, gcLog)));
            out.flush();
            return status;
        }
        finally
        {
            if (connector != null)
            {
                connector.close();
            }
        }
    }

    /**
     * @param window a window's costs.
     * @return its machine-readable line.
     */
    static String line(final ThreadUsage.Window window)
    {
        final StringBuilder sb = new StringBuilder(400);
        sb.append(String.format(Locale.ROOT, "usage: wall_s=%.3f cpu_ms=%.1f", window.wallNs() / 1e9,
            window.totalCpuNs() / 1e6));
        for (final ThreadUsage.Group group : ThreadUsage.Group.values())
        {
            sb.append(String.format(Locale.ROOT, " cpu_ms_%s=%.1f", group.key, window.cpuNs().get(group) / 1e6));
        }
        sb.append(" alloc_bytes=").append(window.totalAllocated());
        for (final ThreadUsage.Group group : ThreadUsage.Group.values())
        {
            sb.append(" alloc_bytes_").append(group.key).append('=').append(window.allocated().getOrDefault(group, -1L));
        }
        sb.append(String.format(Locale.ROOT, " gc_pauses=%d gc_pause_p99_ms=%.3f gc_pause_max_ms=%.3f",
            window.gcPausesMs().size(), window.gcPauseMs(99), window.gcPauseMs(100)));
        return sb.toString();
    }
}
