package ivbot.inference.model;

import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.LabelledQuery;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A batch of mixed lengths runs as two (its short rows apart from its long ones), and each row gets its own answer
 * back, in the batch's order, with and without contexts. The int8 model quantizes activations per batch (dynamic
 * quantization), so a row's probabilities move a little with the rows beside it, split or not: the intent must be
 * the one the row gets alone, the confidence within 0.1 of it.
 */
class LengthSplitTest
{
    @Test
    void shouldAnswerASplitBatchAsEachRowAlone() throws Exception
    {
        final List<String> texts = new ArrayList<>();
        final List<String> contexts = new ArrayList<>();
        final List<LabelledQuery> dev = Models.dev();
        for (int i = 0; texts.size() < 32; i++)
        {
            // short questions, with every fourth one made long: most rows would be padded to the long ones
            final String text = TextNormalizer.normalize(dev.get(i).text());
            texts.add(i % 4 == 0 ? text + "，另外想再问一下入职以后这个政策对于不同部门和不同城市是不是都一样呢" : text);
            contexts.add(i % 3 == 0 ? "年假" : null);
        }
        try (IntentModel model = ModelPackage.load(Models.shippedPackage(), Models.catalog(), "cpu", 1, 32))
        {
            final Prediction[] batch = new Prediction[texts.size()];
            model.predict(contexts, texts, batch);
            assertEquals(1, model.lengthSplits(), "the batch ran as two");
            for (int i = 0; i < texts.size(); i++)
            {
                final Prediction[] alone = new Prediction[1];
                model.predict(java.util.Collections.singletonList(contexts.get(i)), List.of(texts.get(i)), alone);
                assertEquals(alone[0].intent(), batch[i].intent(), "row " + i + ": " + texts.get(i));
                assertEquals(alone[0].confidence(), batch[i].confidence(), 0.1, "row " + i);
            }
            assertEquals(1, model.lengthSplits(), "rows alone are never split");
        }
    }
}
