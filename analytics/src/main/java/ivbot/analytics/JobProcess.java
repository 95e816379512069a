package ivbot.analytics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Flink job ({@link AnalyticsJob}, local MiniCluster) in a JVM of its own, from this JVM's class path, its
 * output appended to a log file. {@link #kill()} is SIGKILL (what a crash looks like: no cancellation, no final
 * checkpoint); a new {@code JobProcess} with the same {@code --checkpoints} resumes from the newest complete
 * checkpoint. Used by one thread at a time.
 */
public final class JobProcess implements AutoCloseable
{
    /**
     * The JVM options of the job: a bounded heap, and the module openings Flink documents for Java 17
     * ({@code env.java.default-opts.all}), for the Kryo fallback serializer.
     */
    static final List<String> JVM_OPTIONS = List.of("-Xmx768m", "-XX:+UseSerialGC",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.net=ALL-UNNAMED",
        "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens=java.base/java.time=ALL-UNNAMED",
        "--add-opens=java.base/java.text=ALL-UNNAMED",
        "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
        "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
        "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED");

    private final Process process;
    private final Path log;

    private JobProcess(final Process process, final Path log)
    {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts the job.
     *
     * @param args     {@link AnalyticsJob}'s arguments.
     * @param log      where its output goes (appended).
     * @param detached whether it runs in a session of its own and outlives this JVM ({@code setsid}).
     * @return the running JVM (the job may still be starting).
     * @throws IOException when the JVM cannot be started.
     */
    public static JobProcess start(final List<String> args, final Path log, final boolean detached) throws IOException
    {
        final List<String> command = new ArrayList<>();
        if (detached && Files.isExecutable(Path.of("/usr/bin/setsid")))
        {
            command.add("/usr/bin/setsid");
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        command.add("-Dorg.slf4j.simpleLogger.log.org.apache.flink=warn");
        command.add("-Dorg.slf4j.simpleLogger.log.org.apache.kafka=warn");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(AnalyticsJob.class.getName());
        command.addAll(args);
        Files.createDirectories(log.toAbsolutePath().getParent());
        final Process p = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return new JobProcess(p, log);
    }

    /** @return the job JVM's pid. */
    public long pid()
    {
        return process.pid();
    }

    /** @return whether it runs. */
    public boolean isAlive()
    {
        return process.isAlive();
    }

    /** @return its log file. */
    public Path log()
    {
        return log;
    }

    /**
     * SIGKILL, and waits until it is gone.
     *
     * @throws InterruptedException when interrupted while waiting.
     */
    public void kill() throws InterruptedException
    {
        process.destroyForcibly().waitFor();
    }

    /**
     * SIGTERM (the JVM's shutdown hooks stop the MiniCluster), then SIGKILL after 15 s.
     *
     * @throws InterruptedException when interrupted while waiting.
     */
    @Override
    public void close() throws InterruptedException
    {
        if (process.isAlive())
        {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS))
            {
                kill();
            }
        }
    }
}
