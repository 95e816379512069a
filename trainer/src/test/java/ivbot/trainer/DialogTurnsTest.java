package ivbot.trainer;

import ivbot.inference.Intent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DialogTurnsTest
{
    @Test
    void shouldPairEachTurnWithTheLastPolicyTopicBeforeIt(@TempDir final Path dir) throws IOException
    {
        final Path file = dir.resolve("d.jsonl");
        Files.writeString(file, String.join("\n",
            "{\"id\":\"a\",\"turns\":[{\"text\":\"你好\",\"intent\":\"greeting\",\"audience\":null},"
                + "{\"text\":\"产假多少天\",\"intent\":\"leave_parental\",\"audience\":null},"
                + "{\"text\":\"谢谢\",\"intent\":\"thanks_bye\",\"audience\":null},"
                + "{\"text\":\"工资照发吗\",\"intent\":\"leave_parental\",\"audience\":null},"
                + "{\"text\":\"那病假呢\",\"intent\":\"leave_sick\",\"audience\":null}]}",
            "",
            "{\"id\":\"b\",\"turns\":[{\"text\":\"工资几号发\",\"intent\":\"salary\",\"audience\":null}]}"), StandardCharsets.UTF_8);

        final List<FineTuner.Example> examples = DialogTurns.read(file, Fixtures.catalog());

        final Intent parental = Fixtures.catalog().fromId("leave_parental");
        assertEquals(6, examples.size());
        assertNull(examples.get(0).context(), "a first turn has no topic");
        assertNull(examples.get(1).context(), "a greeting is not a topic");
        assertEquals(parental.zh(), examples.get(2).context());
        assertEquals(parental.zh(), examples.get(3).context(), "a thanks in between keeps the topic");
        assertEquals(parental, examples.get(3).intent());
        assertEquals(parental.zh(), examples.get(4).context());
        assertNull(examples.get(5).context(), "each dialog starts without a topic");
        assertEquals("工资几号发", examples.get(5).text());
    }

    @Test
    void shouldNameTheFileAndLineOfAnUnknownIntent(@TempDir final Path dir) throws IOException
    {
        final Path file = dir.resolve("d.jsonl");
        Files.writeString(file, "{\"id\":\"a\",\"turns\":[{\"text\":\"x\",\"intent\":\"greeting\"}]}\n"
            + "{\"id\":\"b\",\"turns\":[{\"text\":\"x\",\"intent\":\"no_such\"}]}\n", StandardCharsets.UTF_8);

        final IOException ex = assertThrows(IOException.class, () -> DialogTurns.read(file, Fixtures.catalog()));

        assertTrue(ex.getMessage().contains(file + ":2") && ex.getMessage().contains("no_such"), ex.getMessage());
    }

    @Test
    void shouldReadTheShippedTrainingDialogsWithTopicsOnMostTurns() throws IOException
    {
        final List<FineTuner.Example> examples = DialogTurns.read(Fixtures.repoRoot().resolve("models/data/train_dialogs.jsonl"),
            Fixtures.catalog());

        final long withTopic = examples.stream().filter(e -> e.context() != null).count();
        assertEquals(2404, examples.size());
        assertTrue(withTopic > examples.size() / 2, withTopic + " of " + examples.size() + " turns have a topic");
    }
}
