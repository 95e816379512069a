package ivbot.analytics;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;

/**
 * Event-time watermarks of one Kafka partition: bounded out-of-orderness ({@code maxTimestamp - outOfOrderness
 * - 1}), and, for a quiet partition, progress with the wall clock.
 * <p>
 * Why not {@code withIdleness}: an idle partition is left out of the minimum, but when every partition is quiet
 * (no turns for a while, the normal case at night and at the end of a test) nothing advances the watermark and
 * the last windows never close. Turn events are stamped by the server when it answers, so event time follows
 * the wall clock: after {@code quietMs} without an event, a partition's watermark becomes
 * {@code now - outOfOrderness - quietMs} (never lower than before). An event that arrives later than that is
 * late and goes to the window only within the allowed lateness.
 * <p>
 * One instance per partition split, called by the source reader's thread only.
 */
final class TurnWatermarks implements WatermarkGenerator<Turn>
{
    private final long outOfOrdernessMs;
    private final long quietMs;
    private long maxTimestamp = Long.MIN_VALUE;
    private long lastEventWallMs = System.currentTimeMillis();
    private long emitted = Long.MIN_VALUE;

    TurnWatermarks(final long outOfOrdernessMs, final long quietMs)
    {
        this.outOfOrdernessMs = outOfOrdernessMs;
        this.quietMs = quietMs;
    }

    @Override
    public void onEvent(final Turn event, final long eventTimestamp, final WatermarkOutput output)
    {
        maxTimestamp = Math.max(maxTimestamp, eventTimestamp);
        lastEventWallMs = System.currentTimeMillis();
    }

    @Override
    public void onPeriodicEmit(final WatermarkOutput output)
    {
        final long now = System.currentTimeMillis();
        long watermark = maxTimestamp == Long.MIN_VALUE ? Long.MIN_VALUE : maxTimestamp - outOfOrdernessMs - 1;
        if (now - lastEventWallMs >= quietMs)
        {
            watermark = Math.max(watermark, now - outOfOrdernessMs - quietMs);
        }
        if (watermark > emitted)
        {
            emitted = watermark;
            output.emitWatermark(new Watermark(watermark));
        }
    }
}
