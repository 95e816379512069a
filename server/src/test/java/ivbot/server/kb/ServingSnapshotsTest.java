package ivbot.server.kb;

import ivbot.inference.Audience;
import ivbot.inference.IntentCatalog;
import ivbot.inference.rules.RuleClassifier;
import ivbot.server.TestServer;
import ivbot.server.catalog.Relocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The catalog, the rules and the knowledge base are checked against each other and replaced as one.
 */
class ServingSnapshotsTest
{
    @Test
    void shouldRefuseACatalogWhoseNewIntentHasNoAnswerAndKeepTheSnapshotInService(@TempDir final Path tmp)
        throws IOException
    {
        final Path kb = copyKb(tmp.resolve("kb"));
        try (ServingSnapshots snapshots = new ServingSnapshots(TestServer.catalog(), null, kb, 0))
        {
            final ServingSnapshot before = snapshots.current();
            final IntentCatalog withRelocation = Relocation.catalog(tmp);
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> snapshots.adopt(withRelocation));
            assertTrue(ex.getMessage().contains(kb + " has no relocation.json"), ex.getMessage());
            assertTrue(ex.getMessage().contains("intent 'relocation'"), ex.getMessage());
            assertSame(before, snapshots.current(), "the previous snapshot stays");
            assertNull(snapshots.intent("relocation"));
        }
    }

    @Test
    void shouldAdoptACatalogWithItsAnswersAndWarnOfAnIntentWithoutCues(@TempDir final Path tmp) throws IOException
    {
        final Path kb = copyKb(tmp.resolve("kb"));
        Relocation.writeAnswer(kb);
        try (ServingSnapshots snapshots = new ServingSnapshots(TestServer.catalog(), null, kb, 0))
        {
            final IntentCatalog withRelocation = Relocation.catalog(tmp);
            snapshots.adopt(withRelocation);
            final ServingSnapshot now = snapshots.current();
            assertSame(withRelocation, now.catalog());
            assertSame(withRelocation, now.rules().catalog());
            assertEquals(Relocation.ANSWER, now.knowledgeBase().answer(withRelocation.fromId("relocation"), Audience.INTERN));
            assertEquals(List.of(withRelocation.fromId("relocation")), now.rules().intentsWithoutCues(),
                "the built-in rules have no cue for it: a warning, not an error");
            assertEquals(1, snapshots.reloads());
            snapshots.adopt(Relocation.catalog(Files.createDirectories(tmp.resolve("again"))));
            assertSame(now, snapshots.current(), "a catalog with the same intents changes nothing");
        }
    }

    @Test
    void shouldRefuseARuleFileNamingAnIntentTheCatalogLacksNamingTheFileAndLine(@TempDir final Path tmp)
        throws IOException
    {
        final Path kb = copyKb(tmp.resolve("kb"));
        final Path rules = tmp.resolve("rules.txt");
        final String builtIn = builtInRules();
        Files.writeString(rules, builtIn + "[relocation]\n3 异地调动\n", StandardCharsets.UTF_8);
        final int line = (int)builtIn.lines().count() + 1;
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new ServingSnapshots(TestServer.catalog(), rules, kb, 0));
        assertTrue(ex.getMessage().startsWith(rules + ":" + line + ": "), ex.getMessage());
        assertTrue(ex.getMessage().contains("'relocation'"), ex.getMessage());
    }

    @Test
    void shouldReloadTheRuleFileWithTheKnowledgeBase(@TempDir final Path tmp) throws IOException
    {
        final Path kb = copyKb(tmp.resolve("kb"));
        final Path rules = tmp.resolve("rules.txt");
        Files.writeString(rules, "[salary]\n3 工资\n", StandardCharsets.UTF_8);
        try (ServingSnapshots snapshots = new ServingSnapshots(TestServer.catalog(), rules, kb, 0))
        {
            assertNull(snapshots.rules().classify("年假几天").intent());
            Files.writeString(rules, "[salary]\n3 工资\n[leave_annual]\n3 年假\n", StandardCharsets.UTF_8);
            Files.setLastModifiedTime(rules, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 10_000));
            assertTrue(snapshots.poll());
            assertEquals(TestServer.intent("leave_annual"), snapshots.rules().classify("年假几天").intent());
        }
    }

    private static String builtInRules() throws IOException
    {
        try (InputStream in = RuleClassifier.class.getResourceAsStream(RuleClassifier.DEFAULT_RESOURCE))
        {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Path copyKb(final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(TestServer.repoRoot().resolve("models/kb")))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
        return to;
    }
}
