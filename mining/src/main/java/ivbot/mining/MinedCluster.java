package ivbot.mining;

import java.util.List;

/**
 * One cluster of the review.
 *
 * @param number          the cluster number (0 = the largest).
 * @param members         the question ids, most asked first.
 * @param turns           the turns its questions account for.
 * @param representatives up to five questions (raw), those nearest the cluster's centre first.
 * @param nearestIntent   the existing intent whose training questions' centroid is most similar to the cluster's.
 * @param similarity      that cosine similarity.
 * @param suggestedId     a catalog id for a new intent ({@code [a-z][a-z0-9_]*}).
 * @param suggestedZh     a Chinese name from the cluster's most distinctive characters.
 */
public record MinedCluster(int number, int[] members, long turns, List<String> representatives, String nearestIntent,
    double similarity, String suggestedId, String suggestedZh)
{
}
