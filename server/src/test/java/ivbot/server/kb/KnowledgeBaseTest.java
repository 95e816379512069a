package ivbot.server.kb;

import ivbot.inference.Audience;
import ivbot.inference.Intent;
import ivbot.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.EnumSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KnowledgeBaseTest
{
    private static Path repoKb()
    {
        return TestServer.repoRoot().resolve("models/kb");
    }

    @Test
    void shouldAnswerEveryIntentAndDifferByAudienceForPolicies() throws IOException
    {
        final KnowledgeBase kb = KnowledgeBase.load(repoKb());
        final EnumSet<Intent> mustDiffer = EnumSet.of(Intent.LEAVE_ANNUAL, Intent.LEAVE_SICK, Intent.SALARY,
            Intent.SOCIAL_INSURANCE, Intent.PROBATION, Intent.CONTRACT, Intent.HUKOU, Intent.WORK_HOURS,
            Intent.ALLOWANCES, Intent.APPLICATION, Intent.INTERVIEW_PROCESS, Intent.OFFER, Intent.ONBOARDING);
        for (final Intent intent : Intent.values())
        {
            assertFalse(kb.answer(intent, null).isBlank(), intent.id());
            if (mustDiffer.contains(intent))
            {
                assertNotEquals(kb.answer(intent, Audience.CAMPUS), kb.answer(intent, Audience.INTERN), intent.id());
                assertNotEquals(kb.answer(intent, Audience.CAMPUS), kb.answer(intent, Audience.EXPERIENCED), intent.id());
            }
        }
    }

    private static Path copyKb(final Path to) throws IOException
    {
        try (Stream<Path> files = Files.list(repoKb()))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
        return to;
    }

    @Test
    void shouldReloadWhenAFileChangesAndKeepTheOldOneWhenBroken(@TempDir final Path dir) throws IOException
    {
        copyKb(dir);
        try (KnowledgeBaseWatcher watcher = new KnowledgeBaseWatcher(dir, 0))
        {
            assertFalse(watcher.poll(), "nothing changed");
            final Path greeting = dir.resolve("greeting.json");
            Files.writeString(greeting, "{\"intent\":\"greeting\",\"answers\":{\"default\":\"新的问候\"}}", StandardCharsets.UTF_8);
            Files.setLastModifiedTime(greeting, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
            assertTrue(watcher.poll());
            assertEquals("新的问候", watcher.current().answer(Intent.GREETING, null));
            assertEquals(1, watcher.reloads());

            Files.writeString(greeting, "{ not json", StandardCharsets.UTF_8);
            Files.setLastModifiedTime(greeting, FileTime.fromMillis(System.currentTimeMillis() + 20_000));
            assertFalse(watcher.poll());
            assertEquals("新的问候", watcher.current().answer(Intent.GREETING, null), "the previous snapshot stays");
        }
    }

    @Test
    void shouldRefuseADirectoryMissingAnIntent(@TempDir final Path dir) throws IOException
    {
        copyKb(dir);
        Files.delete(dir.resolve("offer.json"));
        final IOException ex = assertThrows(IOException.class, () -> KnowledgeBase.load(dir));
        assertTrue(ex.getMessage().contains("offer.json"), ex.getMessage());
    }
}
