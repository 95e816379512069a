package ivbot.server.catalog;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ivbot.inference.IntentCatalog;
import ivbot.server.TestServer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Test data of a 25th intent, {@code relocation} (异地调动), added in files only: the repository's catalog
 * with it appended, and its knowledge-base answer.
 */
public final class Relocation
{
    /** The answer written into {@code relocation.json}. */
    public static final String ANSWER = "异地调动:在现岗位满一年、绩效合格即可申请,由现主管和目标城市主管共同审批,"
        + "通常2至4周完成;职级不变,薪资按目标城市标准调整,并提供一次性安置补贴。";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Relocation()
    {
    }

    /**
     * Writes the repository's catalog with {@code relocation} appended.
     *
     * @param to the file to write.
     * @return {@code to}.
     * @throws IOException when it cannot be read or written.
     */
    public static Path writeCatalog(final Path to) throws IOException
    {
        final ObjectNode root = (ObjectNode)JSON.readTree(TestServer.repoRoot().resolve("models/catalog.json").toFile());
        final ObjectNode relocation = ((ArrayNode)root.path("intents")).addObject()
            .put("id", "relocation").put("zh", "异地调动").put("kind", "policy")
            .put("about", "moving to another city or office of the company: who may apply, approval, what changes");
        relocation.putArray("examples").add("我想申请异地调动").add("可以调到其他城市吗");
        JSON.writerWithDefaultPrettyPrinter().writeValue(to.toFile(), root);
        return to;
    }

    /**
     * @param dir a scratch folder.
     * @return the repository's catalog with {@code relocation} appended (its index 24).
     * @throws IOException when it cannot be written or read.
     */
    public static IntentCatalog catalog(final Path dir) throws IOException
    {
        return IntentCatalog.load(writeCatalog(dir.resolve("catalog-with-relocation.json")));
    }

    /**
     * Writes {@code relocation.json} into a knowledge-base folder.
     *
     * @param kb the folder.
     * @throws IOException when it cannot be written.
     */
    public static void writeAnswer(final Path kb) throws IOException
    {
        final ObjectNode entry = JSON.createObjectNode().put("intent", "relocation").put("title", "异地调动");
        entry.putObject("answers").put("default", ANSWER);
        JSON.writeValue(kb.resolve("relocation.json").toFile(), entry);
    }
}
