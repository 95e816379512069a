package ivbot.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ivbot} command line: {@code serve}, {@code token}, {@code eval}, {@code eval-dialogs},
 * {@code train}, {@code index}, {@code explain}; the {@code ivbot} script runs {@code bench} (the load harness, in the perf module) itself.
 */
@Command(
    name = "ivbot",
    mixinStandardHelpOptions = true,
    version = "ivbot 0.1.0",
    description = "Recruiting and HR-policy chat assistant server.",
    footer = {"", "Also: bench   Load harness (open or closed loop) against a running server; see 'ivbot bench --help'."},
    subcommands = {ServeCommand.class, TokenCommand.class, ModelCommand.class, EvalCommand.class, EvalDialogsCommand.class,
        TrainCommand.class, IndexCommand.class, ExplainCommand.class, EventsBenchCommand.class})
public final class Main implements Runnable
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * @param args the command line.
     */
    public static void main(final String[] args)
    {
        final int code = commandLine().execute(args);
        if (code != 0)
        {
            System.exit(code);
        }
    }

    /**
     * @return the command line, with failures of a command printed as one line naming the problem.
     */
    public static CommandLine commandLine()
    {
        return new CommandLine(new Main()).setExecutionExceptionHandler((ex, cmd, parsed) ->
        {
            // a missing file deep inside a command says so, not just its path
            final String message = ex instanceof java.nio.file.NoSuchFileException ? ex.getMessage() + ": not found" :
                ex instanceof java.nio.file.AccessDeniedException ? ex.getMessage() + ": not readable" : ex.getMessage();
            cmd.getErr().println("ivbot " + cmd.getCommandName() + ": " + message);
            return 1;
        });
    }

    @Override
    public void run()
    {
        spec.commandLine().usage(System.out);
    }
}
