package ivbot.localstack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Detaching a child process from the JVM that starts it: {@code setsid} (util-linux) puts it in a session of its
 * own, so that the terminal's hang-up or Ctrl-C that ends the starting command does not reach it. A Java child is
 * never a process group leader, so {@code setsid} execs the program in place and the child's pid is the
 * program's pid.
 */
final class Sessions
{
    private Sessions()
    {
    }

    /** @return the command prefix ({@code setsid}), or nothing where it is not installed. */
    static List<String> setsid()
    {
        for (final String candidate : List.of("/usr/bin/setsid", "/bin/setsid"))
        {
            if (Files.isExecutable(Path.of(candidate)))
            {
                return List.of(candidate);
            }
        }
        return List.of();
    }
}
