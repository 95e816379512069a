package ivbot.mining;

import ivbot.inference.IntentCatalog;
import ivbot.inference.model.Encoder;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The settings of a mining run shared by {@code ivbot mine} and the planted-topics experiment (a picocli mixin).
 * Each is a documented name/default pair, checked once when the run is set up.
 */
public final class MiningOptions
{
    @Option(names = "--master", defaultValue = "local[2]", description = "Spark master: local[N] or a cluster's URL (default: ${DEFAULT-VALUE}).")
    String master;

    @Option(names = "--partitions", defaultValue = "4", description = "Spark partitions for shuffles, embedding and the pair search (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--catalog", defaultValue = "${sys:ivbot.home:-.}/models/catalog.json", description = "Intent catalog of the serving model: its fallback id, and the existing intents (default: ${DEFAULT-VALUE}).")
    Path catalog;

    @Option(names = "--train-data", defaultValue = "${sys:ivbot.home:-.}/models/data/train.tsv", description = "Training TSV whose questions' centroids are the existing intents (default: ${DEFAULT-VALUE}).")
    Path trainData;

    @Option(names = "--precision", defaultValue = "int8", description = "Encoder precision: int8 or fp32 (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--max-confidence", defaultValue = "0.6", description = "Turns with a lower model confidence are mined (default: ${DEFAULT-VALUE}).")
    double maxConfidence;

    @Option(names = "--max-margin", defaultValue = "0.1", description = "Turns with a lower top-two margin are mined; 0 = off (default: ${DEFAULT-VALUE}).")
    double maxMargin;

    @Option(names = "--min-cluster-size", defaultValue = "3", description = "Smaller clusters are noise, in distinct questions (default: ${DEFAULT-VALUE}).")
    int minClusterSize;

    @Option(names = "--max-distance", defaultValue = "0.5", description = "Levenshtein: the largest normalised edit distance that links two questions (default: ${DEFAULT-VALUE}).")
    double maxDistance;

    @Option(names = "--max-block", defaultValue = "500", description = "Levenshtein: bigrams held by more questions are not blocking keys (default: ${DEFAULT-VALUE}).")
    int maxBlock;

    @Option(names = "--min-similarity", defaultValue = "0.45", description = "encoder: the average-linkage cut, a mean cosine similarity (default: ${DEFAULT-VALUE}; chosen on train.tsv rows, never on dev).")
    double minSimilarity;

    @Option(names = "--leader-similarity", defaultValue = "0.9", description = "encoder: near-duplicates above this enter the agglomeration as one group (default: ${DEFAULT-VALUE}).")
    double leaderSimilarity;

    @Option(names = "--max-cell", defaultValue = "20000", description = "encoder: more near-duplicate groups than this are split into cells by k-means first, one chain per cell on the executors (default: ${DEFAULT-VALUE}).")
    int maxCell;

    @Option(names = "--dbscan-similarity", defaultValue = "0.75", description = "encoder-dbscan: the radius as a cosine similarity (default: ${DEFAULT-VALUE}).")
    double dbscanSimilarity;

    @Option(names = "--min-points", defaultValue = "3", description = "encoder-dbscan: turns within the radius that make a core question (default: ${DEFAULT-VALUE}).")
    int minPoints;

    @Option(names = "--mask-audience", defaultValue = "true", arity = "1", description = "encoder: take the audience words of the rule file (校招, 社招, 实习生, ...) out of questions before embedding (default: ${DEFAULT-VALUE}).")
    boolean maskAudience;

    @Option(names = "--rules", description = "Rule file whose audience cues are masked (default: the built-in rules).")
    Path rules;

    AudienceCues audience() throws java.io.IOException
    {
        return maskAudience ? AudienceCues.fromRules(rules) : AudienceCues.none();
    }

    Encoder encoder()
    {
        return Encoder.forPrecision(precision);
    }

    NotUnderstood filter(final IntentCatalog catalog)
    {
        return new NotUnderstood(catalog.fallback().id(), maxConfidence, maxMargin);
    }

    Miner.Methods methods()
    {
        return new Miner.Methods(new LevenshteinClusterer(maxDistance, maxBlock, minClusterSize),
            new AverageLinkage(minSimilarity, leaderSimilarity, minClusterSize, partitions, maxCell),
            new EncoderClusterer(encoder(), dbscanSimilarity, minPoints, minClusterSize, partitions));
    }
}
