package ivbot.server.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks of the files and folders a command is given, made before any work starts, with messages that name
 * the option and say what is wrong (not just the path).
 */
final class InputFiles
{
    private InputFiles()
    {
    }

    /**
     * @param option the option that named the file, e.g. {@code --data}.
     * @param path   the path given.
     * @throws IllegalArgumentException {@code --data /x/dev.tsv: not found} or {@code ...: not readable}.
     */
    static void requireReadable(final String option, final Path path)
    {
        if (path == null)
        {
            return;
        }
        if (!Files.exists(path))
        {
            throw new IllegalArgumentException(option + " " + path + ": not found");
        }
        if (!Files.isReadable(path))
        {
            throw new IllegalArgumentException(option + " " + path + ": not readable");
        }
    }
}
