package ivbot.analytics;

import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * The window figures: {@link Add} folds each turn into the window's {@link WindowAccumulator} as it arrives (so
 * the window keeps one accumulator, not its turns), {@link Emit} makes the row when the window fires, on time
 * or again for each late turn within the allowed lateness.
 */
final class WindowAggregate
{
    private WindowAggregate()
    {
    }

    /** Incremental aggregation; Flink calls it on the window operator's thread. */
    static final class Add implements AggregateFunction<Turn, WindowAccumulator, WindowAccumulator>
    {
        private static final long serialVersionUID = 1L;

        @Override
        public WindowAccumulator createAccumulator()
        {
            return new WindowAccumulator();
        }

        @Override
        public WindowAccumulator add(final Turn value, final WindowAccumulator acc)
        {
            acc.add(value);
            return acc;
        }

        @Override
        public WindowAccumulator getResult(final WindowAccumulator acc)
        {
            return acc;
        }

        @Override
        public WindowAccumulator merge(final WindowAccumulator a, final WindowAccumulator b)
        {
            a.addAll(b);
            return a;
        }
    }

    /** The row of a fired window, stamped with the wall clock as its version. */
    static final class Emit extends ProcessWindowFunction<WindowAccumulator, WindowRow, String, TimeWindow>
    {
        private static final long serialVersionUID = 1L;

        private long lastEmittedMs;

        @Override
        public void process(final String key, final Context context, final Iterable<WindowAccumulator> elements,
            final Collector<WindowRow> out)
        {
            // strictly increasing per operator, so that a re-emission always has a newer version than the one before
            final long now = Math.max(System.currentTimeMillis(), lastEmittedMs + 1);
            lastEmittedMs = now;
            for (final WindowAccumulator acc : elements)
            {
                out.collect(WindowRow.of(context.window().getStart(), acc, now));
            }
        }
    }
}
