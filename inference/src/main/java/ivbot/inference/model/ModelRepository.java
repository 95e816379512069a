package ivbot.inference.model;

import ivbot.inference.Intent;
import ivbot.inference.IntentCatalog;
import ivbot.inference.TextNormalizer;
import ivbot.inference.eval.ClassificationReport;
import ivbot.inference.eval.LabelledQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The model repository: one folder per version under {@code root} (e.g.
 * {@code models/repository/intent/20261125-1/}), versions ordered by name. {@link #check()} loads the
 * newest version newer than the one in service, measures its macro-F1 on the gate set, and hands it to
 * the {@code install} callback only when it is no more than {@code maxF1Drop} below the serving
 * version's (the validation gate). A version that fails to load or fails the gate is rejected and not
 * tried again until its folder changes. Folders whose name starts with '.' (packages being written) are
 * ignored.
 * <p>
 * A package may carry its own catalog ({@value IntentCatalog#FILE}); one that does not is read with the
 * repository's catalog ({@code serve --catalog}). The gate compares by intent id: a candidate is scored on
 * the gate rows whose label is an intent of its catalog, and its macro-F1 is the mean over the intents those
 * rows have examples of ({@link ClassificationReport#macroF1OverGold()}), so a candidate that adds an intent
 * the gate set has no rows of is judged on the intents it shares with the serving version (its false
 * positives of the new intent still cost those intents recall), and one that drops intents is judged on the
 * rest. The install callback may refuse a model by throwing (for example when the knowledge base has no
 * answer for one of its labels); the version is then rejected like one that fails the gate, and the
 * serving version stays.
 * <p>
 * Thread-safe: {@link #check()} is synchronized; call it from one background thread (and from JMX).
 */
public final class ModelRepository
{
    private static final Logger LOG = LoggerFactory.getLogger(ModelRepository.class);

    /**
     * How far past {@code maxF1Drop} a candidate may fall and still pass: rounding only, far below what one
     * gate-set row moves a macro-F1 (about 1e-4 on a few hundred rows).
     */
    public static final double GATE_EPSILON = 1e-9;

    /**
     * How a check ended.
     */
    public enum Outcome
    {
        /** Nothing newer to consider. */
        UNCHANGED,
        /** A new version passed the gate and was installed. */
        INSTALLED,
        /** The newest version failed to load or failed the gate. */
        REJECTED
    }

    private final Path root;
    private final IntentCatalog catalog;
    private final List<LabelledQuery> gateSet;
    private final double maxF1Drop;
    private final String device;
    private final int intraOpThreads;
    private final int maxBatchSize;
    private final Consumer<IntentModel> install;
    private final Map<String, Long> rejected = new HashMap<>();
    private volatile String servingVersion;
    private volatile double servingF1 = Double.NaN;
    private volatile String lastRejection;
    // with canaries, the version everyone but the canary cohort gets; without, the same as servingVersion
    private volatile boolean canaries;
    private volatile String stableVersion;
    private volatile double stableF1 = Double.NaN;

    /**
     * @param root           the repository folder.
     * @param catalog        the catalog of packages that carry none.
     * @param gateSet        labelled queries for the validation gate (the dev set).
     * @param maxF1Drop      how far below the serving macro-F1 a new version may score, e.g. 0.01.
     * @param device         device setting for new sessions.
     * @param intraOpThreads ONNX Runtime intra-op threads.
     * @param maxBatchSize   the largest batch.
     * @param install        receives each model that passes and takes ownership; may refuse it by throwing a
     *                       {@link RuntimeException} whose message says why (the caller then closes it).
     */
    public ModelRepository(final Path root, final IntentCatalog catalog, final List<LabelledQuery> gateSet, final double maxF1Drop, final String device,
        final int intraOpThreads, final int maxBatchSize, final Consumer<IntentModel> install)
    {
        if (gateSet.isEmpty())
        {
            throw new IllegalArgumentException("gateSet is empty (expected: labelled queries)");
        }
        this.root = root;
        this.catalog = catalog;
        this.gateSet = gateSet;
        this.maxF1Drop = maxF1Drop;
        this.device = device;
        this.intraOpThreads = intraOpThreads;
        this.maxBatchSize = maxBatchSize;
        this.install = install;
    }

    /** @return the labelled queries of the validation gate (the dev set), as given. */
    public List<LabelledQuery> gateSet()
    {
        return gateSet;
    }

    /** @return the version in service, or {@code null}. */
    public String servingVersion()
    {
        return servingVersion;
    }

    /** @return the serving version's macro-F1 on the gate set, or {@code NaN}. */
    public double servingF1()
    {
        return servingF1;
    }

    /**
     * Switches to canary releases: a version that passes the gate (against the <em>stable</em> version's macro-F1)
     * is installed as a candidate, and becomes stable only when {@link #promoted} says so; {@link #rolledBack}
     * returns to the stable version and rejects the candidate until its folder changes. Call before the first
     * {@link #check()} that may find a second version.
     */
    public void useCanaries()
    {
        canaries = true;
    }

    /** @return the stable version (with canaries: the one outside the canary cohort), or {@code null}. */
    public String stableVersion()
    {
        return stableVersion;
    }

    /**
     * The candidate was promoted: it is the stable version now.
     *
     * @param version the promoted version.
     */
    public synchronized void promoted(final String version)
    {
        if (version.equals(servingVersion))
        {
            stableVersion = version;
            stableF1 = servingF1;
        }
    }

    /**
     * The candidate was rolled back: the stable version serves everyone again, and the candidate is not tried
     * again until its folder changes.
     *
     * @param version the rolled-back version.
     * @param why     the reason, for {@link #lastRejection()}.
     */
    public synchronized void rolledBack(final String version, final String why)
    {
        rejected.put(version, stamp(root.resolve(version)));
        reject(version, "rolled back: " + why);
        if (version.equals(servingVersion))
        {
            servingVersion = stableVersion;
            servingF1 = stableF1;
        }
    }

    /** @return why the last rejected version was rejected, or {@code null}. */
    public String lastRejection()
    {
        return lastRejection;
    }

    /**
     * Looks for a newer version and installs it if it passes the gate.
     *
     * @return what happened.
     */
    public synchronized Outcome check()
    {
        final List<Path> versions = versions();
        for (int i = versions.size() - 1; i >= 0; i--)
        {
            final Path dir = versions.get(i);
            final String version = dir.getFileName().toString();
            if (servingVersion != null && version.compareTo(servingVersion) <= 0)
            {
                return Outcome.UNCHANGED;
            }
            final long stamp = stamp(dir);
            final Long rejectedStamp = rejected.get(version);
            if (rejectedStamp != null && rejectedStamp == stamp)
            {
                if (servingVersion != null)
                {
                    return Outcome.UNCHANGED;
                }
                continue;
            }
            if (tryInstall(dir, version))
            {
                rejected.remove(version);
                return Outcome.INSTALLED;
            }
            rejected.put(version, stamp);
            if (servingVersion != null)
            {
                return Outcome.REJECTED;
            }
        }
        return Outcome.UNCHANGED;
    }

    private boolean tryInstall(final Path dir, final String version)
    {
        final IntentModel candidate;
        try
        {
            candidate = ModelPackage.load(dir, catalog, device, intraOpThreads, maxBatchSize);
        }
        catch (final IOException | RuntimeException ex)
        {
            reject(version, "does not load: " + ex.getMessage());
            return false;
        }
        final double f1;
        try
        {
            f1 = macroF1(candidate, gateSet);
        }
        catch (final Exception ex)
        {
            candidate.close();
            reject(version, "fails on the gate set: " + ex.getMessage());
            return false;
        }
        // with canaries the bar is the stable version's, not that of a candidate still soaking
        final double serving = canaries ? stableF1 : servingF1;
        final String against = canaries ? stableVersion : servingVersion;
        if (!passesGate(f1, serving, maxF1Drop))
        {
            candidate.close();
            reject(version, String.format(Locale.ROOT, "macro-F1 %.4f is more than %.2f below the serving %s's %.4f",
                f1, maxF1Drop, against, serving));
            return false;
        }
        try
        {
            install.accept(candidate);
        }
        catch (final RuntimeException ex)
        {
            candidate.close();
            reject(version, "refused: " + ex.getMessage());
            return false;
        }
        LOG.info("model {} installed (macro-F1 {} on the gate set, device {}, catalog {}, previous {})",
            version, String.format(Locale.ROOT, "%.4f", f1), candidate.device(), candidate.catalog(), servingVersion);
        servingVersion = version;
        servingF1 = f1;
        if (!canaries || stableVersion == null)
        {
            stableVersion = version;
            stableF1 = f1;
        }
        return true;
    }

    /**
     * The validation gate's comparison: a candidate passes when its macro-F1 is at most {@code maxF1Drop}
     * below the serving version's, the boundary included. Pure; any thread.
     * <p>
     * The boundary is held to within {@link #GATE_EPSILON}, so that {@code serving - maxF1Drop} rounding up
     * in binary (0.52 - 0.05 is 0.47000000000000003) does not reject a candidate exactly at the limit.
     *
     * @param candidateF1 the candidate's macro-F1 on the gate set; {@code NaN} never passes.
     * @param servingF1   the serving version's, or {@code NaN} when none is serving (then any number passes).
     * @param maxF1Drop   the largest drop allowed ({@code --max-f1-drop}), e.g. 0.01.
     * @return whether the candidate may be installed.
     */
    public static boolean passesGate(final double candidateF1, final double servingF1, final double maxF1Drop)
    {
        if (Double.isNaN(candidateF1))
        {
            return false;
        }
        return Double.isNaN(servingF1) || candidateF1 >= servingF1 - maxF1Drop - GATE_EPSILON;
    }

    private void reject(final String version, final String why)
    {
        lastRejection = version + " " + why;
        LOG.warn("model {} rejected: {}", version, why);
    }

    /**
     * The gate's measure: the model's macro-F1 over the gold intents of the rows whose label is an intent of
     * the model's catalog (by id), see {@link ClassificationReport#macroF1OverGold()}.
     *
     * @param model   a model.
     * @param gateSet labelled queries, of any catalog.
     * @return the model's macro-F1 on them.
     * @throws Exception when the model fails.
     */
    public static double macroF1(final IntentModel model, final List<LabelledQuery> gateSet) throws Exception
    {
        final IntentCatalog own = model.catalog();
        final List<LabelledQuery> rows = new ArrayList<>(gateSet.size());
        for (final LabelledQuery row : gateSet)
        {
            if (own.fromId(row.intent().id()) != null)
            {
                rows.add(row);
            }
        }
        return report(model, rows).macroF1OverGold();
    }

    private static ClassificationReport report(final IntentModel model, final List<LabelledQuery> gateSet)
        throws Exception
    {
        final ClassificationReport report = new ClassificationReport(model.catalog());
        final int batch = model.maxBatchSize();
        final Prediction[] out = new Prediction[batch];
        final List<String> texts = new ArrayList<>(batch);
        for (int start = 0; start < gateSet.size(); start += batch)
        {
            final List<LabelledQuery> slice = gateSet.subList(start, Math.min(gateSet.size(), start + batch));
            texts.clear();
            for (final LabelledQuery row : slice)
            {
                texts.add(TextNormalizer.normalize(row.text()));
            }
            model.predict(texts, out);
            for (int i = 0; i < slice.size(); i++)
            {
                final Intent predicted = out[i].intent();
                report.add(slice.get(i).intent(), predicted);
            }
        }
        return report;
    }

    private List<Path> versions()
    {
        final List<Path> versions = new ArrayList<>();
        if (!Files.isDirectory(root))
        {
            return versions;
        }
        try (Stream<Path> entries = Files.list(root))
        {
            entries.filter(Files::isDirectory)
                .filter(p -> !p.getFileName().toString().startsWith("."))
                .sorted()
                .forEach(versions::add);
        }
        catch (final IOException ex)
        {
            LOG.warn("model repository {} unreadable: {}", root, ex.getMessage());
        }
        return versions;
    }

    private static long stamp(final Path dir)
    {
        try (Stream<Path> files = Files.list(dir))
        {
            long stamp = 0;
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                stamp = stamp * 31 + Files.getLastModifiedTime(file).toMillis() + Files.size(file);
            }
            return stamp;
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }
}
