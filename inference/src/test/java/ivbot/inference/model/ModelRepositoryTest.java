package ivbot.inference.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.inference.Intent;
import ivbot.inference.eval.LabelledQuery;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        final List<LabelledQuery> gate = Models.dev().subList(0, 120);
        return new ModelRepository(root, gate, 0.01, "cpu", 1, 16, installed::add);
    }

    @Test
    void shouldInstallNewerVersionsThatPassTheGateOnly(@TempDir final Path root) throws Exception
    {
        final ModelRepository repository = repository(root);
        assertEquals(ModelRepository.Outcome.UNCHANGED, repository.check(), "an empty repository");

        Models.copy(Models.shippedPackage(), root.resolve("20260101-1"));
        assertEquals(ModelRepository.Outcome.INSTALLED, repository.check());
        assertEquals("20260101-1", repository.servingVersion());
        assertTrue(repository.servingF1() > 0.9);
        assertEquals(ModelRepository.Outcome.UNCHANGED, repository.check());

        // a package still being written (hidden staging folder) is ignored
        Files.createDirectories(root.resolve(".20260101-9.tmp"));
        assertEquals(ModelRepository.Outcome.UNCHANGED, repository.check());

        // a worse model: random head weights, far below the serving macro-F1
        final Random random = new Random(3);
        final float[] weights = new float[Intent.count() * 512];
        for (int i = 0; i < weights.length; i++)
        {
            weights[i] = (float)random.nextGaussian();
        }
        ModelPackage.write(root.resolve("20260101-2"), Encoder.BGE_SMALL_ZH_INT8, Intent.values(), weights,
            new float[Intent.count()], 128, 0.5f, 2f, new ObjectMapper().createObjectNode());
        assertEquals(ModelRepository.Outcome.REJECTED, repository.check());
        assertEquals("20260101-1", repository.servingVersion());
        assertNotNull(repository.lastRejection());
        assertTrue(repository.lastRejection().contains("below"), repository.lastRejection());
        assertEquals(ModelRepository.Outcome.UNCHANGED, repository.check(), "a rejected version is not retried");

        // a corrupt package
        Models.copy(Models.shippedPackage(), root.resolve("20260101-3"));
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
        Models.copy(Models.shippedPackage(), root.resolve("20260101-4"));
        assertEquals(ModelRepository.Outcome.INSTALLED, repository.check());
        assertEquals("20260101-4", repository.servingVersion());
        assertEquals(2, installed.size());
    }

    @Test
    void shouldStartFromTheNewestVersionThatLoads(@TempDir final Path root) throws Exception
    {
        Models.copy(Models.shippedPackage(), root.resolve("v1"));
        Files.createDirectories(root.resolve("v2"));
        Files.writeString(root.resolve("v2").resolve(ModelPackage.LABELS), "greeting\n");
        final ModelRepository repository = repository(root);
        assertEquals(ModelRepository.Outcome.INSTALLED, repository.check());
        assertEquals("v1", repository.servingVersion());
    }
}
