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
import java.util.Set;
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
        final KnowledgeBase kb = KnowledgeBase.load(repoKb(), TestServer.catalog());
        final Set<String> mustDiffer = Set.of("leave_annual", "leave_sick", "salary", "social_insurance", "probation",
            "contract", "hukou", "work_hours", "allowances", "application", "interview_process", "offer", "onboarding");
        for (final Intent intent : TestServer.catalog().intents())
        {
            assertFalse(kb.answer(intent, null).isBlank(), intent.id());
            if (mustDiffer.contains(intent.id()))
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
        try (ServingSnapshots watcher = new ServingSnapshots(TestServer.catalog(), null, dir, 0))
        {
            assertFalse(watcher.poll(), "nothing changed");
            final Path greeting = dir.resolve("greeting.json");
            Files.writeString(greeting, "{\"intent\":\"greeting\",\"answers\":{\"default\":\"新的问候\"}}", StandardCharsets.UTF_8);
            Files.setLastModifiedTime(greeting, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
            assertTrue(watcher.poll());
            assertEquals("新的问候", watcher.knowledgeBase().answer(TestServer.intent("greeting"), null));
            assertEquals(1, watcher.reloads());

            Files.writeString(greeting, "{ not json", StandardCharsets.UTF_8);
            Files.setLastModifiedTime(greeting, FileTime.fromMillis(System.currentTimeMillis() + 20_000));
            assertFalse(watcher.poll());
            assertEquals("新的问候", watcher.knowledgeBase().answer(TestServer.intent("greeting"), null), "the previous snapshot stays");
        }
    }

    @Test
    void shouldRefuseADirectoryMissingAnIntent(@TempDir final Path dir) throws IOException
    {
        copyKb(dir);
        Files.delete(dir.resolve("offer.json"));
        final IOException ex = assertThrows(IOException.class, () -> KnowledgeBase.load(dir, TestServer.catalog()));
        assertTrue(ex.getMessage().contains(dir + " has no offer.json"), ex.getMessage());
        assertTrue(ex.getMessage().contains("intent 'offer'"), ex.getMessage());
    }

    @Test
    void shouldAskAClarifyingQuestionNamingTheCatalogsPolicyTopics() throws IOException
    {
        final KnowledgeBase kb = KnowledgeBase.load(repoKb(), TestServer.catalog());
        assertEquals("请问您想了解哪方面的政策呢?比如年假、病假、婚假、产假/陪产假、工作时间、远程办公、薪资、五险一金、补贴、试用期、"
            + "合同/三方、户口档案、实习转正、离职、投递、面试流程、面试结果、offer、入职或培训发展。", kb.clarifyingQuestion(null));
        assertTrue(kb.clarifyingQuestion(Audience.INTERN).startsWith("请问您想了解实习哪方面"), kb.clarifyingQuestion(Audience.INTERN));
        assertFalse(kb.clarifyingQuestion(null).contains("问候"), "social intents are not topics");
    }
}
