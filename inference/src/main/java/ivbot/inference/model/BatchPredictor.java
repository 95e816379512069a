package ivbot.inference.model;

import java.util.List;

/**
 * What the inference agent needs of a model: classify a batch of normalised queries, say which version
 * answered, and release what it holds. {@link IntentModel} is the ONNX Runtime implementation; tests drive
 * the agent with their own.
 * <p>
 * Threads: not required to be thread-safe. The agent calls {@link #predict} and {@link #close} on its own
 * thread only, never concurrently; {@link #version()} may be read from any thread and must not change.
 * Ownership: once handed to the agent, the agent closes it, exactly once, after its last batch.
 */
public interface BatchPredictor extends AutoCloseable
{
    /**
     * @return the version of the model that answers, e.g. {@code 20261125-1}; never changes.
     */
    String version();

    /**
     * Classifies a batch.
     *
     * @param normalizedTexts queries after {@link ivbot.inference.TextNormalizer}, at most the batch size the
     *                        predictor was made for; not retained after the call.
     * @param out             receives one prediction per text, in order, from index 0.
     * @throws Exception when the batch cannot be classified; the agent fails that batch's requests.
     */
    void predict(List<String> normalizedTexts, Prediction[] out) throws Exception;

    /**
     * Classifies a batch of turns with their contexts (the conversation's topic); a predictor that does not read
     * context ignores them, which is what this default does.
     *
     * @param contexts        segment A of each turn, {@code null} or empty for none; or {@code null} for none at all.
     * @param normalizedTexts queries after {@link ivbot.inference.TextNormalizer}; not retained after the call.
     * @param out             receives one prediction per text, in order, from index 0.
     * @throws Exception when the batch cannot be classified; the agent fails that batch's requests.
     */
    default void predict(List<String> contexts, List<String> normalizedTexts, Prediction[] out) throws Exception
    {
        predict(normalizedTexts, out);
    }

    /**
     * Releases the predictor's resources. Called once, by the owner, after the last {@link #predict}.
     */
    @Override
    void close();
}
