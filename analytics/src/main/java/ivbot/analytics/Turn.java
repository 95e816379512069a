package ivbot.analytics;

/**
 * One answered turn, as the server's {@code TurnEventJson} writes it (one JSON object per Kafka record, key =
 * session id). A Flink POJO (public fields, public no-argument constructor), so that Flink serializes it with its
 * own {@code PojoSerializer}; strings are never null ({@code ""} when the event lacks the field).
 */
public final class Turn
{
    /** The event's unique id; the key of {@code ivbot.turns}. */
    public String eventId = "";
    /** When the turn was answered, ms since the epoch: the event time. */
    public long timestampMs;
    public String sessionId = "";
    public String userHash = "";
    public int turn;
    public String query = "";
    public String normalizedQuery = "";
    public String intent = "";
    public String audience = "";
    public float confidence;
    public float margin;
    public String source = "";
    /** Why the answer is a fallback; {@code ""} when it is not. */
    public String fallbackReason = "";
    public String modelVersion = "";
    public String cohort = "";
    public float latencyMs;
    public boolean contextLost;
    public boolean clarifying;
    /** The server did not understand the turn (see {@code TurnEvent.unknown}); false where absent. */
    public boolean unknown;
    /** Arrival to the intent decided, ms (a stage of latency_ms); 0 where absent. */
    public float decideMs;
    /** The session write, ms (a stage of latency_ms); 0 where absent. */
    public float sessionWriteMs;

    /** For Flink. */
    public Turn()
    {
    }
}
