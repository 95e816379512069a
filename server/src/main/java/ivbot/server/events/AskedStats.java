package ivbot.server.events;

import ivbot.proto.TurnEvent;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * What candidates ask, from the server's own turns: per intent the turns, mean and P99 latency, and the questions
 * the assistant did not understand ({@code TurnEvent.unknown}), over the last hour in one-minute buckets. It sits
 * in front of the event log's sink, so it is fed on the log's writer thread,
 * never on an event loop; {@link #snapshot} is called from any thread. Both are {@code synchronized}: the writer
 * holds the lock once per batch.
 * <p>
 * Bounded: 60 buckets, each with at most {@value #MAX_UNKNOWN_PER_MINUTE} distinct unknown questions (more in a
 * minute are counted in {@link Snapshot#unknownTurns()} but not listed) and one histogram per intent seen in it.
 */
public final class AskedStats implements EventSink, AskedSource
{
    /** Questions kept per minute for the top list. */
    static final int MAX_UNKNOWN_PER_MINUTE = 512;
    private static final int MINUTES = 60;
    private static final long MINUTE_MS = 60_000;
    private static final long HIGHEST_LATENCY_US = 600_000_000L;

    private final EventSink next;
    private final LongSupplier clockMs;
    private final Minute[] minutes = new Minute[MINUTES];

    /**
     * @param next    where events go after they are counted.
     * @param clockMs wall clock, epoch ms, for {@link #asked}.
     */
    public AskedStats(final EventSink next, final LongSupplier clockMs)
    {
        this.next = next;
        this.clockMs = clockMs;
        for (int i = 0; i < MINUTES; i++)
        {
            minutes[i] = new Minute();
        }
    }

    @Override
    public void write(final List<TurnEvent> events) throws IOException
    {
        synchronized (this)
        {
            for (final TurnEvent e : events)
            {
                count(e);
            }
        }
        next.write(events);
    }

    private void count(final TurnEvent e)
    {
        final long minute = e.getTimestampMs() / MINUTE_MS;
        final Minute bucket = minutes[(int)(minute % MINUTES)];
        if (bucket.minute != minute)
        {
            if (bucket.minute > minute)
            {
                return; // older than the hour the bucket now holds
            }
            bucket.reset(minute);
        }
        final IntentCell cell = bucket.intents.computeIfAbsent(e.getIntent(), id -> new IntentCell());
        cell.turns++;
        final double latencyMs = Math.max(0, e.getLatencyMs());
        cell.latencySumMs += latencyMs;
        cell.latency.recordValue(Math.min(HIGHEST_LATENCY_US, Math.round(latencyMs * 1000)));
        if (e.getUnknown())
        {
            bucket.unknownTurns++;
            final String key = e.getNormalizedQuery();
            final Question seen = bucket.unknown.get(key);
            if (seen != null)
            {
                seen.count++;
            }
            else if (bucket.unknown.size() < MAX_UNKNOWN_PER_MINUTE)
            {
                bucket.unknown.put(key, new Question(e.getQuery(), e.getIntent(), 1));
            }
        }
    }

    /**
     * @param nowMs      the time now, epoch ms.
     * @param windowMs   how far back, at most an hour; whole minutes.
     * @param topUnknown how many unknown questions to list.
     * @return the figures of the window.
     */
    public synchronized Snapshot snapshot(final long nowMs, final long windowMs, final int topUnknown)
    {
        final long last = nowMs / MINUTE_MS;
        final long first = last - Math.max(1, Math.min(MINUTES, windowMs / MINUTE_MS)) + 1;
        final Map<String, IntentCell> intents = new HashMap<>();
        final Map<String, Question> unknown = new HashMap<>();
        long unknownTurns = 0;
        for (final Minute bucket : minutes)
        {
            if (bucket.minute < first || bucket.minute > last)
            {
                continue;
            }
            unknownTurns += bucket.unknownTurns;
            bucket.intents.forEach((id, cell) -> intents.computeIfAbsent(id, k -> new IntentCell()).add(cell));
            bucket.unknown.forEach((query, q) -> unknown.merge(query, new Question(q.query, q.intent, q.count),
                (sum, more) ->
                {
                    sum.count += more.count;
                    return sum;
                }));
        }
        final List<IntentRow> rows = new ArrayList<>(intents.size());
        long turns = 0;
        for (final Map.Entry<String, IntentCell> e : intents.entrySet())
        {
            final IntentCell c = e.getValue();
            turns += c.turns;
            rows.add(new IntentRow(e.getKey(), c.turns, c.latencySumMs / c.turns,
                c.latency.getValueAtPercentile(99) / 1000.0));
        }
        rows.sort(Comparator.comparingLong(IntentRow::turns).reversed().thenComparing(IntentRow::intent));
        final List<UnknownRow> top = new ArrayList<>();
        unknown.forEach((query, q) -> top.add(new UnknownRow(q.query, query, q.intent, q.count)));
        top.sort(Comparator.comparingLong(UnknownRow::count).reversed().thenComparing(UnknownRow::normalizedQuery));
        return new Snapshot((last - first + 1) * MINUTE_MS, turns, unknownTurns, rows,
            List.copyOf(top.subList(0, Math.min(topUnknown, top.size()))));
    }

    @Override
    public CompletableFuture<Asked> asked(final long windowMs, final int topUnknown)
    {
        return CompletableFuture.completedFuture(
            new Asked("server", "", snapshot(clockMs.getAsLong(), windowMs, topUnknown)));
    }

    @Override
    public String describe()
    {
        return next.describe();
    }

    @Override
    public void close() throws IOException
    {
        next.close();
    }

    /**
     * @param windowMs     the window, ms.
     * @param turns        turns in it.
     * @param unknownTurns turns the assistant did not understand.
     * @param intents      per intent, most asked first.
     * @param unknown      the most frequent questions not understood, most frequent first.
     */
    public record Snapshot(long windowMs, long turns, long unknownTurns, List<IntentRow> intents, List<UnknownRow> unknown)
    {
    }

    /**
     * @param intent       the answered intent id.
     * @param turns        how many.
     * @param meanLatencyMs their mean latency_ms.
     * @param p99LatencyMs  their P99 latency_ms.
     */
    public record IntentRow(String intent, long turns, double meanLatencyMs, double p99LatencyMs)
    {
    }

    /**
     * @param query           the question as first asked.
     * @param normalizedQuery the question normalised (what was counted).
     * @param intent          the intent it was answered with.
     * @param count           how many times.
     */
    public record UnknownRow(String query, String normalizedQuery, String intent, long count)
    {
    }

    private static final class Minute
    {
        long minute = -1;
        long unknownTurns;
        final Map<String, IntentCell> intents = new HashMap<>();
        final Map<String, Question> unknown = new HashMap<>();

        void reset(final long minute)
        {
            this.minute = minute;
            unknownTurns = 0;
            intents.clear();
            unknown.clear();
        }
    }

    private static final class IntentCell
    {
        long turns;
        double latencySumMs;
        final Histogram latency = new Histogram(HIGHEST_LATENCY_US, 2);

        void add(final IntentCell other)
        {
            turns += other.turns;
            latencySumMs += other.latencySumMs;
            latency.add(other.latency);
        }
    }

    private static final class Question
    {
        final String query;
        final String intent;
        long count;

        Question(final String query, final String intent, final long count)
        {
            this.query = query;
            this.intent = intent;
            this.count = count;
        }
    }
}
