package ivbot.inference;

import ivbot.inference.model.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IntentCatalogTest
{
    private static final String GREETING = "{\"id\": \"greeting\", \"zh\": \"问候\", \"kind\": \"social\"}";
    private static final String SALARY = "{\"id\": \"salary\", \"zh\": \"薪资\", \"kind\": \"policy\"}";
    private static final String OTHER = "{\"id\": \"other\", \"zh\": \"无关\", \"kind\": \"fallback\"}";

    @Test
    void shouldReadTheRepositoryCatalogInTheLabelContractsOrder() throws IOException
    {
        final IntentCatalog catalog = Models.catalog();
        assertEquals(24, catalog.size());
        assertEquals("leave_annual", catalog.fromIndex(0).id());
        assertEquals("年假", catalog.fromIndex(0).zh());
        assertEquals("out_of_scope", catalog.fallback().id());
        assertEquals(20, catalog.policyIntents().size());
        for (int i = 0; i < catalog.size(); i++)
        {
            final Intent intent = catalog.fromIndex(i);
            assertEquals(i, intent.index());
            assertEquals(intent, catalog.fromId(intent.id()));
            assertEquals(i < 20, intent.isPolicy(), intent.id());
        }
        assertEquals(Intent.Kind.SOCIAL, catalog.fromId("human_agent").kind());
        assertNull(catalog.fromId("relocation"));
        assertNull(catalog.fromId(null));
        final List<String> specIds = List.of("leave_annual", "leave_sick", "leave_marriage", "leave_parental", "work_hours",
            "remote_work", "salary", "social_insurance", "allowances", "probation", "contract", "hukou",
            "intern_conversion", "resignation", "application", "interview_process", "interview_result", "offer",
            "onboarding", "training", "greeting", "thanks_bye", "human_agent", "out_of_scope");
        assertEquals(specIds, catalog.intents().stream().map(Intent::id).toList());
    }

    @Test
    void shouldMakeTwoLoadsOfOneFileAgree() throws IOException
    {
        final Path file = Models.repoRoot().resolve("models/catalog.json");
        final IntentCatalog a = IntentCatalog.load(file);
        final IntentCatalog b = IntentCatalog.load(file);
        assertNotSame(a.fromId("salary"), b.fromId("salary"));
        assertEquals(a.fromId("salary"), b.fromId("salary"));
        assertEquals(a.fromId("salary").hashCode(), b.fromId("salary").hashCode());
        assertFalse(a.fromId("salary").equals(a.fromId("offer")));
        assertTrue(a.sameIntents(b));
    }

    @Test
    void shouldCopyTheFileByteForByte(@TempDir final Path dir) throws IOException
    {
        final Path file = Models.repoRoot().resolve("models/catalog.json");
        IntentCatalog.load(file).write(dir.resolve(IntentCatalog.FILE));
        assertEquals(Files.readString(file), Files.readString(dir.resolve(IntentCatalog.FILE)));
    }

    @Test
    void shouldRequireExactlyOneFallback()
    {
        assertAll(
            () -> assertTrue(refused("no-fallback.json", GREETING, SALARY).contains("no intent of kind fallback"),
                refused("no-fallback.json", GREETING, SALARY)),
            () -> assertTrue(refused("two.json", OTHER, SALARY,
                "{\"id\": \"chat\", \"zh\": \"闲聊\", \"kind\": \"fallback\"}").contains("'other' and 'chat'")));
    }

    @Test
    void shouldRefuseARepeatedIdNamingTheFileAndTheIntent()
    {
        final String message = refused("dup.json", SALARY, OTHER, SALARY);
        assertTrue(message.startsWith("catalog dup.json: "), message);
        assertTrue(message.contains("'salary' appears twice"), message);
    }

    @Test
    void shouldRefuseAnUnknownKindNamingTheFileAndTheIntent()
    {
        final String message = refused("kind.json", OTHER, "{\"id\": \"salary\", \"zh\": \"薪资\", \"kind\": \"topic\"}");
        assertTrue(message.startsWith("catalog kind.json: "), message);
        assertTrue(message.contains("'salary'") && message.contains("'topic'"), message);
    }

    @Test
    void shouldRefuseMalformedIdsNamesAndFiles(@TempDir final Path dir) throws IOException
    {
        final Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"intents\": [");
        assertAll(
            () -> assertTrue(refused("id.json", OTHER, "{\"id\": \"Salary\", \"zh\": \"薪资\", \"kind\": \"policy\"}")
                .contains("'Salary'")),
            () -> assertTrue(refused("zh.json", OTHER, "{\"id\": \"salary\", \"kind\": \"policy\"}").contains("'salary' has no")),
            () -> assertTrue(refused("empty.json").contains("no \"intents\"")),
            () -> assertTrue(assertThrows(IOException.class, () -> IntentCatalog.load(broken)).getMessage()
                .startsWith("catalog " + broken + ": not valid JSON")),
            () -> assertTrue(assertThrows(IOException.class, () -> IntentCatalog.load(dir.resolve("absent.json")))
                .getMessage().contains("absent.json")));
    }

    @Test
    void shouldGiveAnAddedIntentTheNextIndexAndKeepTheOthersEqual() throws IOException
    {
        final IntentCatalog small = parse("a.json", SALARY, OTHER);
        final IntentCatalog grown = parse("b.json", SALARY, OTHER, "{\"id\": \"relocation\", \"zh\": \"异地调动\", \"kind\": \"policy\"}");
        assertEquals(2, grown.fromId("relocation").index());
        assertEquals(small.fromId("salary"), grown.fromId("salary"));
        assertFalse(small.sameIntents(grown));
    }

    private static IntentCatalog parse(final String name, final String... intents) throws IOException
    {
        final String json = "{\"intents\": [" + String.join(", ", intents) + "]}";
        return IntentCatalog.fromJson(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), name);
    }

    private static String refused(final String name, final String... intents)
    {
        return assertThrows(IOException.class, () -> parse(name, intents)).getMessage();
    }
}
