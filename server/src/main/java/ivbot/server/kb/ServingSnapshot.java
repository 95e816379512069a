package ivbot.server.kb;

import ivbot.inference.IntentCatalog;
import ivbot.inference.rules.RuleClassifier;

import java.util.Objects;

/**
 * What the server answers with besides the model, read against one catalog: the catalog, the rules and the
 * knowledge base. They are checked against each other at load (every catalog intent has an answer; every
 * rule section names a catalog intent) and put in service together by one volatile write in
 * {@link ServingSnapshots}. Immutable.
 *
 * @param catalog       the intents.
 * @param rules         the rule engine, read against {@code catalog}.
 * @param knowledgeBase the answers, one per intent of {@code catalog}.
 */
public record ServingSnapshot(IntentCatalog catalog, RuleClassifier rules, KnowledgeBase knowledgeBase)
{
    /**
     * @throws IllegalArgumentException when the rules or the knowledge base were read against another catalog.
     */
    public ServingSnapshot
    {
        Objects.requireNonNull(catalog, "catalog");
        if (rules.catalog() != catalog || knowledgeBase.catalog() != catalog)
        {
            throw new IllegalArgumentException("rules and knowledge base must be read against catalog " + catalog);
        }
    }
}
