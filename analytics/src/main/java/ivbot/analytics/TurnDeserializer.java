package ivbot.analytics;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Kafka records of turn events into {@link Turn}s. A record that is not a turn event (not JSON, no
 * {@code event_id}) is skipped and logged (the first ten, then every thousandth): one bad record must not stop
 * the job, and replaying it after a restart would fail the same way. Called by the source reader's thread.
 */
final class TurnDeserializer implements KafkaRecordDeserializationSchema<Turn>
{
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TurnDeserializer.class);

    private transient long skipped;

    @Override
    public void deserialize(final ConsumerRecord<byte[], byte[]> record, final Collector<Turn> out)
    {
        if (record.value() == null)
        {
            return;
        }
        try
        {
            out.collect(TurnJson.parse(record.value()));
        }
        catch (final IOException | RuntimeException ex)
        {
            skipped++;
            if (skipped <= 10 || skipped % 1000 == 0)
            {
                LOG.warn("skipped a record that is not a turn event ({} so far) at {}-{}@{}: {}", skipped,
                    record.topic(), record.partition(), record.offset(), ex.toString());
            }
        }
    }

    @Override
    public TypeInformation<Turn> getProducedType()
    {
        return TypeInformation.of(Turn.class);
    }
}
