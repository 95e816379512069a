package ivbot.server.events;

import ivbot.proto.TurnEvent;

import java.io.IOException;
import java.util.List;

/**
 * Where turn events go: files (the embedded default) or a broker. Called by the one writer thread of an
 * {@link EventLog} only, never by an event loop, so an implementation may block and need not be thread-safe.
 */
public interface EventSink extends AutoCloseable
{
    /**
     * Writes a batch, in order.
     *
     * @param events the events; the list is reused after the call returns.
     * @throws IOException when the batch could not be written (the log counts it and drops the batch).
     */
    void write(List<TurnEvent> events) throws IOException;

    /**
     * @return a short description for logs, e.g. {@code "files in /var/lib/ivbot/events"}.
     */
    String describe();

    @Override
    void close() throws IOException;
}
