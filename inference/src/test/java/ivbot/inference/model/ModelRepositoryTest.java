package ivbot.inference.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.eval.LabelledQuery;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class ModelRepositoryTest
{
    private final List<IntentModel> installed = new ArrayList<>();

    @AfterEach
    void close()
    {
        installed.forEach(IntentModel::close);
    }

    private ModelRepository repository(final Path root)
    {
        return repository(root, 0.01);
    }

    private ModelRepository repository(final Path root, final double maxF1Drop)
    {
        return new ModelRepository(root, Models.catalog(), gate(), maxF1Drop, "cpu", 1, 16, installed::add);
    }

    private static List<LabelledQuery> gate()
    {
        return Models.dev().subList(0, 120);
    }

    /** The shipped package with one label's bias pushed far down: that label is never predicted. */
    private static void writeWithoutOneLabel(final Path dir) throws Exception
    {
        Models.copy(Models.headPackage(), dir);
        final Path head = dir.resolve(ModelPackage.HEAD);
        final ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(head)).order(ByteOrder.LITTLE_ENDIAN);
        final int labels = buf.getInt(4);
        final int hidden = buf.getInt(8);
        final List<String> ids = Files.readAllLines(dir.resolve(ModelPackage.LABELS));
        final int row = ids.indexOf(gate().get(0).intent().id());
        assertTrue(row >= 0 && row < labels, "the first gate row's label is in the head");
        final int bias = 12 + labels * hidden * 4 + row * 4;
        buf.putFloat(bias, -1000f);
        Files.write(head, buf.array());
    }

    private static double gateF1(final Path dir) throws Exception
    {
        try (IntentModel model = ModelPackage.load(dir, Models.catalog(), "cpu", 1, 16))
        {
            return ModelRepository.macroF1(model, gate());
        }
    }

    @Test
    void shouldPassTheGateAtItsBoundaryAndNotPastIt()
    {
        assertTrue(ModelRepository.passesGate(0.47, 0.52, 0.05), "exactly maxF1Drop below (0.52 - 0.05 rounds up)");
        assertTrue(ModelRepository.passesGate(0.4701, 0.52, 0.05), "just inside");
        assertFalse(ModelRepository.passesGate(0.4699, 0.52, 0.05), "just outside");
        assertFalse(ModelRepository.passesGate(0.47 - 1e-6, 0.52, 0.05), "past the rounding tolerance");
        assertTrue(ModelRepository.passesGate(0.95, 0.90, 0.0), "better, with no drop allowed");
        assertTrue(ModelRepository.passesGate(0.90, 0.90, 0.0), "equal, with no drop allowed");
        assertFalse(ModelRepository.passesGate(0.8999, 0.90, 0.0), "any drop, with no drop allowed");
        assertTrue(ModelRepository.passesGate(0.10, Double.NaN, 0.01), "nothing serving: the first package passes");
        assertFalse(ModelRepository.passesGate(Double.NaN, 0.90, 0.01), "a candidate without a score does not");
    }

    @Test
    void shouldGateAMeasuredDropJustInsideAndJustOutsideMaxF1Drop(@TempDir final Path root) throws Exception
    {
        final Path worse = root.resolve("staging/worse");
        writeWithoutOneLabel(worse);
        final double shippedF1 = gateF1(Models.headPackage());
        final double worseF1 = gateF1(worse);
        final double drop = shippedF1 - worseF1;
        assertTrue(drop > 0.001, "one label never predicted costs macro-F1: " + shippedF1 + " -> " + worseF1);

        // just inside: allowed drop a hair above the measured one
        final Path inside = root.resolve("inside");
        final ModelRepository lenient = repository(inside, drop + 1e-6);
        Models.copy(Models.headPackage(), inside.resolve("v1"));
        assertEquals(ModelRepository.Outcome.INSTALLED, lenient.check());
        assertEquals(shippedF1, lenient.servingF1(), 1e-12);
        Models.copy(worse, inside.resolve("v2"));
        assertEquals(ModelRepository.Outcome.INSTALLED, lenient.check(), "drop " + drop + " within " + (drop + 1e-6));
        assertEquals(worseF1, lenient.servingF1(), 1e-12);

        // a better package is accepted
        Models.copy(Models.headPackage(), inside.resolve("v3"));
        assertEquals(ModelRepository.Outcome.INSTALLED, lenient.check());
        assertEquals("v3", lenient.servingVersion());
        assertEquals(shippedF1, lenient.servingF1(), 1e-12);

        // just outside: allowed drop a hair below the measured one
        final Path outside = root.resolve("outside");
        final ModelRepository strict = repository(outside, drop - 1e-6);
        Models.copy(Models.headPackage(), outside.resolve("v1"));
        assertEquals(ModelRepository.Outcome.INSTALLED, strict.check());
        Models.copy(worse, outside.resolve("v2"));
        assertEquals(ModelRepository.Outcome.REJECTED, strict.check(), "drop " + drop + " past " + (drop - 1e-6));
        assertEquals("v1", strict.servingVersion());
        assertTrue(strict.lastRejection().startsWith("v2 macro-F1"), strict.lastRejection());
        assertEquals(ModelRepository.Outcome.UNCHANGED, strict.check(), "not retried while its folder is unchanged");

        // the rejected folder is changed (a fixed head written over it): it is examined again, and passes
        Files.copy(Models.headPackage().resolve(ModelPackage.HEAD), outside.resolve("v2").resolve(ModelPackage.HEAD),
            StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(outside.resolve("v2").resolve(ModelPackage.HEAD),
            java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 1000));
        assertEquals(ModelRepository.Outcome.INSTALLED, strict.check());
        assertEquals("v2", strict.servingVersion());
        assertEquals(shippedF1, strict.servingF1(), 1e-12);
    }

    @Test
    void shouldInstallNewerVersionsThatPassTheGateOnly(@TempDir final Path root) throws Exception
    {
        final ModelRepository repository = repository(root);
        assertEquals(ModelRepository.Outcome.UNCHANGED, repository.check(), "an empty repository");

        Models.copy(Models.headPackage(), root.resolve("20260101-1"));
        assertEquals(ModelRepository.Outcome.INSTALLED, repository.check());
        assertEquals("20260101-1", repository.servingVersion());
        assertTrue(repository.servingF1() > 0.9);
        assertEquals(ModelRepository.Outcome.UNCHANGED, repository.check());

        // a package still being written (hidden staging folder) is ignored
        Files.createDirectories(root.resolve(".20260101-9.tmp"));
        assertEquals(ModelRepository.Outcome.UNCHANGED, repository.check());

        // a worse model: random head weights, far below the serving macro-F1
        final Random random = new Random(3);
        final float[] weights = new float[Models.catalog().size() * 512];
        for (int i = 0; i < weights.length; i++)
        {
            weights[i] = (float)random.nextGaussian();
        }
        ModelPackage.write(root.resolve("20260101-2"), Encoder.BGE_SMALL_ZH_INT8, Models.catalog(), weights,
            new float[Models.catalog().size()], 128, 0.5f, 2f, new ObjectMapper().createObjectNode());
        assertEquals(ModelRepository.Outcome.REJECTED, repository.check());
        assertEquals("20260101-1", repository.servingVersion());
        assertNotNull(repository.lastRejection());
        assertTrue(repository.lastRejection().contains("below"), repository.lastRejection());
        assertEquals(ModelRepository.Outcome.UNCHANGED, repository.check(), "a rejected version is not retried");

        // a corrupt package
        Models.copy(Models.headPackage(), root.resolve("20260101-3"));
        for (final String file : new String[] {ModelPackage.HEAD, ModelPackage.MODEL})
        {
            // the shipped package is an ivbot package (head.bin) or an exported one (model.onnx)
            if (Files.exists(root.resolve("20260101-3").resolve(file)))
            {
                Files.write(root.resolve("20260101-3").resolve(file), new byte[] {1, 2, 3});
            }
        }
        assertEquals(ModelRepository.Outcome.REJECTED, repository.check());
        assertEquals("20260101-1", repository.servingVersion());

        // an equally good package
        Models.copy(Models.headPackage(), root.resolve("20260101-4"));
        assertEquals(ModelRepository.Outcome.INSTALLED, repository.check());
        assertEquals("20260101-4", repository.servingVersion());
        assertEquals(2, installed.size());
    }

    @Test
    void shouldStartFromTheNewestVersionThatLoads(@TempDir final Path root) throws Exception
    {
        Models.copy(Models.headPackage(), root.resolve("v1"));
        Files.createDirectories(root.resolve("v2"));
        Files.writeString(root.resolve("v2").resolve(ModelPackage.LABELS), "greeting\n");
        final ModelRepository repository = repository(root);
        assertEquals(ModelRepository.Outcome.INSTALLED, repository.check());
        assertEquals("v1", repository.servingVersion());
    }

    @Test
    void shouldLoadAPackageWithItsOwnCatalogAndRejectItWhenTheInstallerRefuses(@TempDir final Path root) throws Exception
    {
        Models.copy(Models.headPackage(), root.resolve("20260101-1"));
        final Path grown = root.resolve("20260101-2");
        Models.copy(Models.headPackage(), grown);
        final ObjectMapper json = new ObjectMapper();
        final ObjectNode catalog = (ObjectNode)json.readTree(Models.repoRoot().resolve("models/catalog.json").toFile());
        ((ArrayNode)catalog.path("intents")).addObject().put("id", "relocation").put("zh", "异地调动").put("kind", "policy");
        json.writeValue(grown.resolve(IntentCatalog.FILE).toFile(), catalog);

        final List<IntentCatalog> offered = new ArrayList<>();
        final ModelRepository repository = new ModelRepository(root, Models.catalog(), gate(), 1.0, "cpu", 1, 16, model ->
        {
            offered.add(model.catalog());
            if (model.catalog().fromId("relocation") != null)
            {
                throw new IllegalStateException("knowledge base has no relocation.json");
            }
            installed.add(model);
        });
        assertEquals(ModelRepository.Outcome.INSTALLED, repository.check());
        assertEquals(2, offered.size(), "the newest was refused, then the older one installed");
        assertEquals("20260101-1", repository.servingVersion());
        assertEquals(25, offered.get(0).size(), "the newest package was offered with its own catalog first");
        assertTrue(repository.lastRejection().contains("relocation.json"), repository.lastRejection());
        assertEquals(ModelRepository.Outcome.UNCHANGED, repository.check(), "a rejected version is not tried again");

        Files.writeString(grown.resolve(ModelPackage.LABELS), "leave_annual\nmoving_house\n");
        Files.setLastModifiedTime(grown.resolve(ModelPackage.LABELS),
            java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 10_000));
        assertEquals(ModelRepository.Outcome.REJECTED, repository.check());
        assertTrue(repository.lastRejection().contains("label 'moving_house' is not an intent of catalog " +
            grown.resolve(IntentCatalog.FILE)), repository.lastRejection());
    }
}
