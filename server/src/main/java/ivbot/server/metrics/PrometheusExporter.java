package ivbot.server.metrics;

import ivbot.inference.batch.FallbackReason;
import ivbot.inference.batch.InferenceAgent;
import ivbot.inference.model.IntentModel;
import ivbot.server.ChatService;
import ivbot.server.intent.IntentClassifier;
import ivbot.server.session.SessionStore;
import org.HdrHistogram.Histogram;

import java.util.Locale;

/**
 * Writes the Prometheus text exposition format (version 0.0.4) of {@code GET /metrics}:
 * <pre>
 * ivbot_requests_total{source}                 counter   chat replies by model, cache, rules
 * ivbot_errors_total                           counter   requests answered with an error
 * ivbot_fallbacks_total{reason}                counter   turns the rules answered for the model
 * ivbot_cache_lookups_total, _hits_total       counter
 * ivbot_session_store_errors_total             counter   failed session reads and writes
 * ivbot_session_store_up                       gauge     1 when the session store answers
 * ivbot_session_store_state{state}             gauge     1 for the store's current state (up, connecting,
 *                                                        switching, down, closed)
 * ivbot_session_store_pending_writes           gauge     writes not yet acknowledged (held through a switch)
 * ivbot_session_store_failed_writes_total      counter   writes that ran out of their window or were refused
 * ivbot_inference_queue_depth                  gauge
 * ivbot_model_info{version,device}             gauge     1 while a model serves
 * ivbot_stage_latency_seconds{stage}           histogram buckets from 0.5 ms to 2.5 s
 * ivbot_batch_size                             histogram
 * </pre>
 * Histograms are cumulative since start, as of the last metrics roll. Stateless.
 */
public final class PrometheusExporter
{
    private static final double[] LATENCY_BUCKETS_S =
        {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5};
    private static final long[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128};

    private PrometheusExporter()
    {
    }

    /**
     * @param chat the chat service whose figures are written.
     * @return the exposition text.
     */
    public static String scrape(final ChatService chat)
    {
        final ServerMetrics metrics = chat.metrics();
        final IntentClassifier classifier = chat.classifier();
        final StringBuilder out = new StringBuilder(4096);
        header(out, "ivbot_requests_total", "counter", "Chat replies by source.");
        for (final String source : new String[] {"model", "cache", "rules"})
        {
            out.append("ivbot_requests_total{source=\"").append(source).append("\"} ").append(metrics.repliesFrom(source)).append('\n');
        }
        header(out, "ivbot_errors_total", "counter", "Requests answered with an error.");
        out.append("ivbot_errors_total ").append(metrics.errors()).append('\n');
        header(out, "ivbot_fallbacks_total", "counter", "Turns answered by the rule engine because the model could not, by reason.");
        for (final FallbackReason reason : FallbackReason.values())
        {
            out.append("ivbot_fallbacks_total{reason=\"").append(reason.id()).append("\"} ")
                .append(classifier.fallbacks(reason)).append('\n');
        }
        header(out, "ivbot_cache_lookups_total", "counter", "Model answer cache lookups.");
        out.append("ivbot_cache_lookups_total ").append(classifier.cacheLookups()).append('\n');
        header(out, "ivbot_cache_hits_total", "counter", "Model answer cache hits.");
        out.append("ivbot_cache_hits_total ").append(classifier.cacheHits()).append('\n');
        header(out, "ivbot_session_store_errors_total", "counter", "Failed session reads and writes.");
        out.append("ivbot_session_store_errors_total ").append(metrics.sessionErrors()).append('\n');
        appendSessionStore(out, chat.store());
        final InferenceAgent agent = classifier.agent();
        header(out, "ivbot_inference_queue_depth", "gauge", "Model requests waiting for the inference thread.");
        out.append("ivbot_inference_queue_depth ").append(agent == null ? 0 : agent.queueDepth()).append('\n');
        header(out, "ivbot_inference_errors_total", "counter",
            "Failed inference batches, and errors that ended the inference thread.");
        out.append("ivbot_inference_errors_total ").append(agent == null ? 0 : agent.errors()).append('\n');
        final IntentModel model = agent == null ? null : agent.model();
        header(out, "ivbot_model_info", "gauge", "The model in service.");
        if (model != null)
        {
            out.append("ivbot_model_info{version=\"").append(escape(model.version())).append("\",device=\"")
                .append(escape(model.device())).append("\"} 1\n");
        }
        header(out, "ivbot_stage_latency_seconds", "histogram", "Latency per stage since start.");
        for (final Stage stage : Stage.values())
        {
            latencyHistogram(out, stage, metrics.histogram(stage, false));
        }
        header(out, "ivbot_batch_size", "histogram", "Model requests per ONNX Runtime call since start.");
        final Histogram batches = metrics.batchSizes(false);
        for (final long le : BATCH_BUCKETS)
        {
            out.append("ivbot_batch_size_bucket{le=\"").append(le).append("\"} ")
                .append(batches.getTotalCount() == 0 ? 0 : batches.getCountBetweenValues(0, le)).append('\n');
        }
        out.append("ivbot_batch_size_bucket{le=\"+Inf\"} ").append(batches.getTotalCount()).append('\n');
        out.append("ivbot_batch_size_sum ").append(Math.round(batches.getMean() * batches.getTotalCount())).append('\n');
        out.append("ivbot_batch_size_count ").append(batches.getTotalCount()).append('\n');
        return out.toString();
    }

    private static void latencyHistogram(final StringBuilder out, final Stage stage, final Histogram h)
    {
        final String label = "{stage=\"" + stage.id() + "\"";
        final long count = h.getTotalCount();
        for (final double le : LATENCY_BUCKETS_S)
        {
            final long us = Math.round(le * 1e6);
            out.append("ivbot_stage_latency_seconds_bucket").append(label).append(",le=\"").append(format(le)).append("\"} ")
                .append(count == 0 ? 0 : h.getCountBetweenValues(0, us)).append('\n');
        }
        out.append("ivbot_stage_latency_seconds_bucket").append(label).append(",le=\"+Inf\"} ").append(count).append('\n');
        out.append("ivbot_stage_latency_seconds_sum").append(label).append("} ")
            .append(format(h.getMean() * count / 1e6)).append('\n');
        out.append("ivbot_stage_latency_seconds_count").append(label).append("} ").append(count).append('\n');
    }

    /**
     * Appends the session store's families: {@code ivbot_session_store_up}, {@code _state},
     * {@code _pending_writes} and {@code _failed_writes_total}.
     *
     * @param out   the exposition text so far.
     * @param store the store; read from any thread.
     */
    public static void appendSessionStore(final StringBuilder out, final SessionStore store)
    {
        header(out, "ivbot_session_store_up", "gauge", "1 when the session store answers.");
        out.append("ivbot_session_store_up ").append(store.isReady() ? 1 : 0).append('\n');
        header(out, "ivbot_session_store_state", "gauge", "1 for the session store's current state.");
        out.append("ivbot_session_store_state{state=\"").append(escape(store.state())).append("\"} 1\n");
        header(out, "ivbot_session_store_pending_writes", "gauge",
            "Session writes not yet acknowledged, including those held in the local queue through a switch.");
        out.append("ivbot_session_store_pending_writes ").append(store.pendingWrites()).append('\n');
        header(out, "ivbot_session_store_failed_writes_total", "counter",
            "Session writes not acknowledged within their window, or refused by a full queue or a down store.");
        out.append("ivbot_session_store_failed_writes_total ").append(store.failedWrites()).append('\n');
    }

    private static void header(final StringBuilder out, final String name, final String type, final String help)
    {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static String format(final double value)
    {
        return String.format(Locale.ROOT, "%s", value);
    }

    private static String escape(final String value)
    {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
