package ivbot.server.events;

import java.util.concurrent.CompletableFuture;

/**
 * Where the operator page's "什么在被问" panel reads from: the server's own counters ({@link AskedStats}) or
 * ClickHouse ({@link ClickHouseAsked}). Called on an event loop: it never blocks; a slow or failed read completes
 * the future later, or with the counters' figures.
 */
public interface AskedSource
{
    /**
     * @param windowMs   how far back, at most an hour.
     * @param topUnknown how many unknown questions to list.
     * @return the figures, and where they came from.
     */
    CompletableFuture<Asked> asked(long windowMs, int topUnknown);

    /**
     * @param source   {@code server} (this process's turns since its start, at most the window) or
     *                 {@code clickhouse} (every instance's turns).
     * @param note     why ClickHouse was not read, "" otherwise.
     * @param figures  the figures.
     */
    record Asked(String source, String note, AskedStats.Snapshot figures)
    {
    }
}
