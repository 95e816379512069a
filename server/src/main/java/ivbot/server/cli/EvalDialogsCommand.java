package ivbot.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Ticker;
import ivbot.inference.eval.DialogFile;
import ivbot.proto.ChatReply;
import ivbot.proto.ChatRequest;
import ivbot.server.ChatService;
import ivbot.server.metrics.ServerMetrics;
import ivbot.server.auth.Principal;
import ivbot.server.dialog.DialogManager;
import ivbot.server.kb.ServingSnapshots;
import ivbot.server.session.InMemorySessionStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * {@code ivbot eval-dialogs --data FILE [--classifier rules|model]}: runs each JSONL dialog through the real
 * {@link ChatService} in a fresh session and counts turns whose resolved intent and audience both match.
 * Prints each miss, then as its last line exactly {@code turn_accuracy=A turns=N dialogs=D}.
 */
@Command(name = "eval-dialogs", mixinStandardHelpOptions = true, description = "Evaluate multi-turn resolution on JSONL dialogs.")
final class EvalDialogsCommand implements Callable<Integer>
{
    @Option(names = "--data", required = true, description = "JSONL, one dialog a line: {\"id\", \"turns\": [{\"text\", \"intent\", \"audience\"}]}.")
    Path data;

    @Option(names = "--classifier", defaultValue = "rules", description = "rules (the rule engine alone), or served (also: model; what a request gets: the served classifier with the model, its thresholds and the dialog) (default: ${DEFAULT-VALUE}).")
    String classifier;

    @Mixin
    ModelOptions model;

    @Option(names = "--kb", defaultValue = "${sys:ivbot.home:-.}/models/kb", description = "Knowledge-base directory (default: ${DEFAULT-VALUE}).")
    Path kb;

    @Override
    public Integer call() throws Exception
    {
        if (!"rules".equals(classifier) && !"model".equals(classifier) && !"served".equals(classifier))
        {
            System.err.println("--classifier=" + classifier + " (expected: rules, model or served)");
            return 2;
        }
        InputFiles.requireReadable("--data", data);
        InputFiles.requireReadable("--kb", kb);
        model.noModel = "rules".equals(classifier);
        model.pollMs = 0;
        final ServingSnapshots snapshots = model.snapshots(kb, 0);
        final ModelOptions.Started started = model.start(1, snapshots);
        final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
        try (InMemorySessionStore store = new InMemorySessionStore(100_000, 600, Ticker.systemTicker()))
        {
            final ChatService chat = new ChatService(
                store, started.classifier(), new DialogManager(), snapshots::knowledgeBase, System::currentTimeMillis,
                new ServerMetrics());
            System.out.println(run(chat, data, loop));
        }
        finally
        {
            loop.shutdownNow();
            if (started.runtime() != null)
            {
                started.runtime().close();
            }
        }
        return 0;
    }

    /**
     * Runs every dialog of a JSONL file.
     *
     * @param chat the chat service to drive.
     * @param file the JSONL file.
     * @param loop where model results and deadline timers run.
     * @return the misses, one a line, then the summary line.
     * @throws IOException when the file is unreadable or a line is malformed.
     */
    static String run(final ChatService chat, final Path file, final ScheduledExecutorService loop) throws IOException
    {
        final Principal principal = new Principal("eval", null, Long.MAX_VALUE);
        final StringBuilder out = new StringBuilder();
        final int[] turns = new int[1];
        final int[] right = new int[1];
        final int dialogs = DialogFile.forEach(file, (number, dialog) ->
        {
            String sessionId = "";
            int index = 0;
            for (final JsonNode turn : dialog.path("turns"))
            {
                index++;
                final ChatReply reply = chat.chat(principal, ChatRequest.newBuilder()
                    .setSessionId(sessionId).setQuery(turn.path("text").asText()).build(), System.nanoTime(), loop).join();
                sessionId = reply.getSessionId();
                final String intent = turn.path("intent").asText();
                final String audience = turn.path("audience").isNull() ? "" : turn.path("audience").asText("");
                turns[0]++;
                if (intent.equals(reply.getIntent()) && audience.equals(reply.getAudience()))
                {
                    right[0]++;
                }
                else
                {
                    out.append(String.format(Locale.ROOT, "miss %s turn %d: %s expected %s/%s got %s/%s%n",
                        dialog.path("id").asText(), index, turn.path("text").asText(), intent,
                        audience.isEmpty() ? "-" : audience, reply.getIntent(),
                        reply.getAudience().isEmpty() ? "-" : reply.getAudience()));
                }
            }
        });
        out.append(String.format(Locale.ROOT, "turn_accuracy=%.4f turns=%d dialogs=%d",
            turns[0] == 0 ? 0.0 : (double)right[0] / turns[0], turns[0], dialogs));
        return out.toString();
    }
}
