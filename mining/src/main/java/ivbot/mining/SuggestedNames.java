package ivbot.mining;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Names a cluster from its most distinctive character bigrams: a bigram scores its share of the cluster's
 * questions times its inverse document frequency over all mined questions (so 什么 and 可以, common everywhere,
 * lose to 婚假). The best bigram, extended by the best one overlapping it by a character (公积 + 积金 = 公积金), is
 * the Chinese name; the id is {@code new_<n>} plus any ASCII word among the top terms, so it is a valid catalog id
 * for the reviewer to rename. Not thread-safe; the driver.
 */
final class SuggestedNames
{
    private final Map<String, Integer> documentFrequency = new HashMap<>();
    private final int documents;

    SuggestedNames(final List<Question> questions)
    {
        for (final Question q : questions)
        {
            for (final String g : LevenshteinClusterer.bigrams(q.text()))
            {
                documentFrequency.merge(g, 1, Integer::sum);
            }
        }
        this.documents = questions.size();
    }

    /**
     * @param number    the cluster number.
     * @param questions the cluster's questions.
     * @return {id, zh}.
     */
    String[] name(final int number, final List<Question> questions)
    {
        final Map<String, Integer> inCluster = new HashMap<>();
        for (final Question q : questions)
        {
            for (final String g : LevenshteinClusterer.bigrams(q.text()))
            {
                inCluster.merge(g, 1, Integer::sum);
            }
        }
        final List<Map.Entry<String, Double>> ranked = inCluster.entrySet().stream()
            .filter(e -> e.getKey().codePoints().noneMatch(c -> Character.isWhitespace(c) || isPunctuation(c)))
            .map(e -> Map.entry(e.getKey(), e.getValue() / (double)questions.size()
                * Math.log((1.0 + documents) / (1.0 + documentFrequency.getOrDefault(e.getKey(), 0)))))
            .sorted((a, b) -> a.getValue().equals(b.getValue()) ? a.getKey().compareTo(b.getKey())
                : Double.compare(b.getValue(), a.getValue()))
            .limit(5)
            .toList();
        if (ranked.isEmpty())
        {
            return new String[] {"new_" + (number + 1), ""};
        }
        String zh = ranked.get(0).getKey();
        for (int k = 1; k < Math.min(3, ranked.size()); k++)
        {
            final String other = ranked.get(k).getKey();
            if (zh.endsWith(other.substring(0, 1)) && zh.length() < 4)
            {
                zh = zh + other.substring(1);
                break;
            }
            if (zh.startsWith(other.substring(1)) && zh.length() < 4)
            {
                zh = other.charAt(0) + zh;
                break;
            }
        }
        final String ascii = zh.replaceAll("[^a-z0-9]", "");
        final String id = "new_" + (number + 1) + (ascii.length() >= 2 ? "_" + ascii : "");
        return new String[] {id, zh};
    }

    private static boolean isPunctuation(final int c)
    {
        final int type = Character.getType(c);
        return type >= Character.DASH_PUNCTUATION && type <= Character.OTHER_PUNCTUATION
            || type == Character.INITIAL_QUOTE_PUNCTUATION || type == Character.FINAL_QUOTE_PUNCTUATION
            || type == Character.MATH_SYMBOL || type == Character.OTHER_SYMBOL;
    }
}
