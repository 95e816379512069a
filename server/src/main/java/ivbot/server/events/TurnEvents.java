package ivbot.server.events;

import ivbot.inference.TextNormalizer;
import ivbot.proto.TurnEvent;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * Makes the {@link TurnEvent} of a {@link TurnRecord}: a random 128-bit event id (base64url), the query
 * normalised as the model sees it, and the user's keyed hash in place of its id (the last {@value #HASHES_KEPT}
 * users' hashes kept). Runs on the event log's writer thread only: not thread-safe.
 */
public final class TurnEvents implements Function<TurnRecord, TurnEvent>
{
    /**
     * A reply whose confidence is below this counts as not understood ({@code TurnEvent.unknown}), whatever its
     * source.
     */
    public static final float UNSURE_BELOW = 0.6f;

    private static final Base64.Encoder ID = Base64.getUrlEncoder().withoutPadding();

    /** Users whose hash is kept: a conversation's turns come from one user, so most events repeat a recent one. */
    static final int HASHES_KEPT = 4096;

    private final Function<String, String> hash;
    // the writer thread's own, like the map: an event id's random bytes, encoded at once
    private final byte[] id = new byte[16];
    // the writer thread's own (apply runs there only): an HMAC per event was a third of the writer's CPU
    private final Map<String, String> hashes = new LinkedHashMap<>(HASHES_KEPT * 4 / 3, 0.75f, true)
    {
        @Override
        protected boolean removeEldestEntry(final Map.Entry<String, String> eldest)
        {
            return size() > HASHES_KEPT;
        }
    };

    /**
     * @param users hashes subjects.
     */
    public TurnEvents(final UserHasher users)
    {
        this.hash = users::hash;
    }

    @Override
    public TurnEvent apply(final TurnRecord r)
    {
        ThreadLocalRandom.current().nextBytes(id);
        return TurnEvent.newBuilder()
            .setEventId(ID.encodeToString(id))
            .setTimestampMs(r.timestampMs())
            .setSessionId(r.sessionId())
            .setUserHash(hashes.computeIfAbsent(r.subject(), hash))
            .setTurn(r.turn())
            .setQuery(r.query())
            .setNormalizedQuery(TextNormalizer.normalize(r.query()))
            .setIntent(r.intent())
            .setAudience(r.audience())
            .setConfidence(r.confidence())
            .setMargin(r.margin())
            .setSource(r.source())
            .setFallbackReason(r.fallback())
            .setModelVersion(r.modelVersion())
            .setCohort(r.cohort())
            .setLatencyMs((float)r.latencyMs())
            .setContextLost(r.contextLost())
            .setClarifying(r.clarifying())
            .setUnknown(r.unknown())
            .setDecideMs((float)r.decideMs())
            .setSessionWriteMs((float)r.writeMs())
            .build();
    }
}
