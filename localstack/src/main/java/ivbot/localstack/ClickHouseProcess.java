package ivbot.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code clickhouse-server} (18.16) as a child process with a configuration of its own, generated in its
 * folder ({@code config.xml}, {@code users.xml}; data under {@code data/}, logs under {@code log/}), on free
 * loopback ports (HTTP, native TCP, interserver HTTP), the server's time zone UTC, and one user,
 * {@code default}, without a password and reachable from loopback only. Started when {@code GET /ping} answers
 * {@code Ok.}. Used by one thread at a time.
 * <p>
 * Installing it: {@code DEBIAN_FRONTEND=noninteractive apt-get install -y clickhouse-server clickhouse-client};
 * Debian installs the binary as {@code /usr/sbin/clickhouse-server}.
 */
public final class ClickHouseProcess implements AutoCloseable
{
    /** Where Debian's package and the upstream packages put the server binary. */
    private static final List<String> BINARIES = List.of("/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

    private final Path dir;
    private final boolean detached;
    private final int httpPort = FreePort.next();
    private final int tcpPort = FreePort.next();
    private final int interserverPort = FreePort.next();
    private final ClickHouseHttp http;
    private Process process;

    private ClickHouseProcess(final Path dir, final boolean detached) throws IOException
    {
        this.dir = dir.toAbsolutePath();
        this.detached = detached;
        for (final String sub : List.of("data", "tmp", "user_files", "format_schemas", "log"))
        {
            Files.createDirectories(this.dir.resolve(sub));
        }
        Files.writeString(this.dir.resolve("config.xml"), config());
        Files.writeString(this.dir.resolve("users.xml"), USERS);
        this.http = new ClickHouseHttp(httpUrl(), Duration.ofSeconds(30));
    }

    /**
     * @return the server binary.
     * @throws IllegalStateException when it is not installed.
     */
    public static Path binary()
    {
        for (final String candidate : BINARIES)
        {
            if (Files.isExecutable(Path.of(candidate)))
            {
                return Path.of(candidate);
            }
        }
        throw new IllegalStateException("clickhouse-server is not installed (looked for " + BINARIES + "); install it " +
            "with: DEBIAN_FRONTEND=noninteractive apt-get install -y clickhouse-server clickhouse-client");
    }

    /**
     * Starts a new server with its data in {@code dir}, a child of this JVM.
     *
     * @param dir its folder, created if missing.
     * @return the server, answering on {@link #httpUrl()}.
     * @throws IOException           when the folder cannot be written or the binary cannot be started.
     * @throws IllegalStateException when it is not installed, exits, or does not answer within 60 s.
     */
    public static ClickHouseProcess start(final Path dir) throws IOException
    {
        return start(dir, false);
    }

    /**
     * @param dir      its folder, created if missing.
     * @param detached whether it runs in its own session and outlives this JVM.
     * @return the server, answering on {@link #httpUrl()}.
     * @throws IOException           when the folder cannot be written or the binary cannot be started.
     * @throws IllegalStateException when it is not installed, exits, or does not answer within 60 s.
     */
    public static ClickHouseProcess start(final Path dir, final boolean detached) throws IOException
    {
        final ClickHouseProcess clickHouse = new ClickHouseProcess(dir, detached);
        clickHouse.start();
        return clickHouse;
    }

    /**
     * Starts the server (again, after {@link #kill()}) on the same ports and data, and waits for its ping.
     *
     * @throws IOException           when the binary cannot be started.
     * @throws IllegalStateException when it exits or does not answer within 60 s.
     */
    public void start() throws IOException
    {
        if (process != null && process.isAlive())
        {
            throw new IllegalStateException("clickhouse-server is running already (pid " + process.pid() + ")");
        }
        final List<String> command = new ArrayList<>();
        if (detached)
        {
            command.addAll(Sessions.setsid());
        }
        command.add(binary().toString());
        command.add("--config-file=" + dir.resolve("config.xml"));
        final Path out = dir.resolve("log/stdout.log");
        process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
        Poll.until(() ->
        {
            if (!process.isAlive())
            {
                throw new ChildExitedException("clickhouse-server exited with " + process.exitValue() + " (logs: " +
                    out + ", " + dir.resolve("log/clickhouse-server.err.log") + ")");
            }
            return http.ping();
        }, START_TIMEOUT, Duration.ofMillis(50), "clickhouse-server to answer on " + httpUrl() + "ping (log: " + out + ")");
    }

    /** @return the HTTP interface, {@code http://127.0.0.1:port}. */
    public String httpUrl()
    {
        return "http://127.0.0.1:" + httpPort;
    }

    /** @return the HTTP port. */
    public int httpPort()
    {
        return httpPort;
    }

    /** @return the native protocol port ({@code clickhouse-client --port}). */
    public int tcpPort()
    {
        return tcpPort;
    }

    /** @return the server's pid. */
    public long pid()
    {
        return process.pid();
    }

    /** @return a client of its HTTP interface. */
    public ClickHouseHttp http()
    {
        return http;
    }

    /** @return the folder of its configuration, data and logs. */
    public Path dir()
    {
        return dir;
    }

    /**
     * Stops the server at once with SIGKILL and waits for it to be gone.
     *
     * @throws InterruptedException when interrupted while waiting.
     */
    public void kill() throws InterruptedException
    {
        if (process != null)
        {
            process.destroyForcibly().waitFor();
        }
    }

    /**
     * Stops the server with SIGTERM (it finishes its inserts), and with SIGKILL after 15 s.
     *
     * @throws InterruptedException when interrupted while waiting.
     */
    @Override
    public void close() throws InterruptedException
    {
        if (process != null && process.isAlive())
        {
            process.destroy();
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
            {
                kill();
            }
        }
    }

    private String config()
    {
        return String.join("\n",
            "<?xml version=\"1.0\"?>",
            "<yandex>",
            "  <logger>",
            "    <level>warning</level>",
            "    <log>" + dir.resolve("log/clickhouse-server.log") + "</log>",
            "    <errorlog>" + dir.resolve("log/clickhouse-server.err.log") + "</errorlog>",
            "    <size>10M</size>",
            "    <count>2</count>",
            "  </logger>",
            "  <listen_host>127.0.0.1</listen_host>",
            "  <http_port>" + httpPort + "</http_port>",
            "  <tcp_port>" + tcpPort + "</tcp_port>",
            "  <interserver_http_port>" + interserverPort + "</interserver_http_port>",
            "  <interserver_http_host>127.0.0.1</interserver_http_host>",
            "  <max_connections>256</max_connections>",
            "  <keep_alive_timeout>3</keep_alive_timeout>",
            "  <max_concurrent_queries>64</max_concurrent_queries>",
            "  <uncompressed_cache_size>268435456</uncompressed_cache_size>",
            "  <mark_cache_size>268435456</mark_cache_size>",
            "  <path>" + dir.resolve("data") + "/</path>",
            "  <tmp_path>" + dir.resolve("tmp") + "/</tmp_path>",
            "  <user_files_path>" + dir.resolve("user_files") + "/</user_files_path>",
            "  <format_schema_path>" + dir.resolve("format_schemas") + "/</format_schema_path>",
            "  <users_config>" + dir.resolve("users.xml") + "</users_config>",
            "  <default_profile>default</default_profile>",
            "  <default_database>default</default_database>",
            // DateTime values are written and shown as UTC, whatever the host's zone
            "  <timezone>UTC</timezone>",
            "  <mlock_executable>false</mlock_executable>",
            "  <builtin_dictionaries_reload_interval>0</builtin_dictionaries_reload_interval>",
            "</yandex>",
            "");
    }

    private static final String USERS = String.join("\n",
        "<?xml version=\"1.0\"?>",
        "<yandex>",
        "  <profiles>",
        "    <default>",
        "      <max_memory_usage>2000000000</max_memory_usage>",
        "      <load_balancing>random</load_balancing>",
        "    </default>",
        "  </profiles>",
        "  <users>",
        "    <default>",
        "      <password></password>",
        "      <networks>",
        "        <ip>127.0.0.1</ip>",
        "        <ip>::1</ip>",
        "      </networks>",
        "      <profile>default</profile>",
        "      <quota>default</quota>",
        "    </default>",
        "  </users>",
        "  <quotas>",
        "    <default>",
        "      <interval>",
        "        <duration>3600</duration>",
        "        <queries>0</queries>",
        "        <errors>0</errors>",
        "        <result_rows>0</result_rows>",
        "        <read_rows>0</read_rows>",
        "        <execution_time>0</execution_time>",
        "      </interval>",
        "    </default>",
        "  </quotas>",
        "</yandex>",
        "");
}
