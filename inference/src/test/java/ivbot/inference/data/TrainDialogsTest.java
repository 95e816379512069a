package ivbot.inference.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.inference.Audience;
import ivbot.inference.Intent;
import ivbot.inference.model.Models;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code models/data/train_dialogs.jsonl} is well formed: at least 600 dialogs of 2 to 6 turns with ids
 * t0001, t0002, ..., every intent and audience id one of the label contract's, every intent and audience
 * used, and an audience, once in force, never dropped again (multi_turn rule 4).
 */
class TrainDialogsTest
{
    private static List<DataFiles.Dialog> dialogs;
    private static Set<String> intents;
    private static Set<String> audiences;

    @BeforeAll
    static void read() throws Exception
    {
        dialogs = DataFiles.readDialogs(DataFiles.data("train_dialogs.jsonl"));
        intents = new LinkedHashSet<>();
        audiences = new LinkedHashSet<>();
        final Path spec = contract();
        if (spec != null)
        {
            final JsonNode root = new ObjectMapper().readTree(spec.toFile());
            root.path("intents").forEach(node -> intents.add(node.path("id").asText()));
            root.path("audiences").forEach(node -> audiences.add(node.path("id").asText()));
        }
        else
        {
            Models.catalog().intents().stream().forEach(intent -> intents.add(intent.id()));
            Arrays.stream(Audience.values()).forEach(audience -> audiences.add(audience.id()));
        }
        assertEquals(24, intents.size(), "intents in the contract");
    }

    /**
     * @return {@code shared/spec/intents.json} beside or inside the repository, or {@code null} when this
     *     checkout has none (then the code's copies of the ids, {@link Intent} and {@link Audience}, stand in).
     */
    private static Path contract()
    {
        final Path root = Models.repoRoot();
        for (final Path candidate : List.of(root.resolve("shared/spec/intents.json"),
            root.resolveSibling("shared").resolve("spec/intents.json")))
        {
            if (Files.isRegularFile(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    @Test
    void shouldHaveAtLeast600DialogsOfTwoToSixTurns()
    {
        assertTrue(dialogs.size() >= 600, "dialogs: " + dialogs.size());
        final List<String> offending = new ArrayList<>();
        for (int i = 0; i < dialogs.size(); i++)
        {
            final DataFiles.Dialog dialog = dialogs.get(i);
            final String id = String.format("t%04d", i + 1);
            if (!id.equals(dialog.id()))
            {
                offending.add("line " + dialog.line() + ": id " + dialog.id() + ", expected " + id);
            }
            if (dialog.turns().size() < 2 || dialog.turns().size() > 6)
            {
                offending.add(dialog.id() + ": " + dialog.turns().size() + " turns");
            }
            for (final DataFiles.Turn turn : dialog.turns())
            {
                if (turn.text().isBlank())
                {
                    offending.add(dialog.id() + ": a blank turn");
                }
            }
        }
        assertTrue(offending.isEmpty(), String.join("\n", offending));
    }

    @Test
    void shouldUseOnlyTheContractsIdsAndEveryIntentAndAudience()
    {
        final List<String> offending = new ArrayList<>();
        final Set<String> usedIntents = new HashSet<>();
        final Set<String> usedAudiences = new HashSet<>();
        for (final DataFiles.Dialog dialog : dialogs)
        {
            for (final DataFiles.Turn turn : dialog.turns())
            {
                if (!intents.contains(turn.intent()))
                {
                    offending.add(dialog.id() + ": unknown intent '" + turn.intent() + "' for '" + turn.text() + "'");
                }
                if (turn.audience() != null && !audiences.contains(turn.audience()))
                {
                    offending.add(dialog.id() + ": unknown audience '" + turn.audience() + "' for '" + turn.text() + "'");
                }
                usedIntents.add(turn.intent());
                usedAudiences.add(turn.audience());
            }
        }
        assertTrue(offending.isEmpty(), String.join("\n", offending));
        final Set<String> unusedIntents = new LinkedHashSet<>(intents);
        unusedIntents.removeAll(usedIntents);
        assertTrue(unusedIntents.isEmpty(), "intents in no dialog: " + unusedIntents);
        final Set<String> unusedAudiences = new LinkedHashSet<>(audiences);
        unusedAudiences.removeAll(usedAudiences);
        assertTrue(unusedAudiences.isEmpty(), "audiences in no dialog: " + unusedAudiences);
    }

    @Test
    void shouldKeepAnAudienceOnceInForce()
    {
        final List<String> offending = new ArrayList<>();
        for (final DataFiles.Dialog dialog : dialogs)
        {
            String audience = null;
            for (final DataFiles.Turn turn : dialog.turns())
            {
                if (audience != null && turn.audience() == null)
                {
                    offending.add(dialog.id() + ": '" + turn.text() + "' drops the audience " + audience);
                }
                audience = turn.audience() != null ? turn.audience() : audience;
            }
        }
        assertTrue(offending.isEmpty(), String.join("\n", offending));
    }
}
