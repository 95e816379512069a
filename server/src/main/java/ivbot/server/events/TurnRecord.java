package ivbot.server.events;

/**
 * What an event loop hands over of one answered turn: the reply's fields as they are, so that building the
 * event (normalising the query, hashing the user, an event id) happens on the event log's thread.
 *
 * @param timestampMs  when the reply was made, epoch ms.
 * @param sessionId    the session.
 * @param subject      the token's {@code sub}: hashed before it is written.
 * @param turn         the turn number.
 * @param query        the query as asked.
 * @param intent       the answered intent id.
 * @param audience     the audience id, "" when unknown.
 * @param confidence   the reply's confidence.
 * @param margin       the model's winner minus runner-up probability, 0 when the model did not answer.
 * @param source       model, cache or rules.
 * @param fallback     the fallback reason id, "" when none.
 * @param modelVersion the model version, "" when the rules answered.
 * @param latencyMs    the reply's latency_ms.
 * @param contextLost  whether the turn was answered without its session's context.
 * @param clarifying   whether the reply was the clarifying question.
 * @param cohort       which model cohort answered while a candidate served ({@code stable}, {@code canary}),
 *                     "" while one version serves.
 * @param unknown      whether the assistant did not understand the turn (see {@code TurnEvent.unknown}).
 * @param decideMs     from the request's arrival to the intent decided, ms.
 * @param writeMs      the session write, ms.
 */
public record TurnRecord(
    long timestampMs,
    String sessionId,
    String subject,
    int turn,
    String query,
    String intent,
    String audience,
    float confidence,
    float margin,
    String source,
    String fallback,
    String modelVersion,
    double latencyMs,
    boolean contextLost,
    boolean clarifying,
    String cohort,
    boolean unknown,
    double decideMs,
    double writeMs)
{
}
