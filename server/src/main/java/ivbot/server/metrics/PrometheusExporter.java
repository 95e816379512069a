package ivbot.server.metrics;

import ivbot.inference.batch.FallbackReason;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a {@link MetricsSnapshot} in the Prometheus text exposition format (version 0.0.4) of
 * {@code GET /metrics}:
 * <pre>
 * ivbot_requests_total{source}                 counter   chat replies by model, cache, rules
 * ivbot_errors_total{code}                     counter   requests answered with an error, by the error's code
 *                                                        ({@code internal} for a 500; sum for all errors)
 * ivbot_fallbacks_total{reason}                counter   turns the rules answered for the model
 * ivbot_cache_lookups_total, _hits_total       counter   hits: replies whose source is cache
 * ivbot_session_store_errors_total             counter   failed session reads and writes
 * ivbot_session_store_up                       gauge     1 when the session store answers
 * ivbot_session_store_state{state}             gauge     1 for the store's current state (up, connecting,
 *                                                        switching, down, closed)
 * ivbot_session_store_pending_writes           gauge     writes not yet acknowledged (held through a switch)
 * ivbot_session_store_failed_writes_total      counter   writes that ran out of their window or were refused
 * ivbot_inference_queue_depth                  gauge
 * ivbot_inference_errors_total                 counter
 * ivbot_model_info{version,device}             gauge     1 per model in service
 * ivbot_stage_latency_seconds{stage}           histogram buckets from 0.5 ms to 2.5 s
 * ivbot_batch_size                             histogram
 * jvm_memory_used_bytes{area}, _committed_bytes{area}, _max_bytes{area}   gauge   heap, nonheap
 * jvm_gc_collection_seconds{gc}                summary   _count and _sum per collector
 * jvm_threads_current, _daemon, _peak          gauge
 * process_cpu_seconds_total                    counter
 * process_resident_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds   gauge
 * </pre>
 * The JVM and process names are the Prometheus Java client's; they are read by hand (see {@link JvmFigures}).
 * Histograms and counters are cumulative since start, as of the last reporter roll. Stateless; any thread.
 */
public final class PrometheusExporter
{
    private PrometheusExporter()
    {
    }

    /**
     * @param s the snapshot to write.
     * @return the exposition text.
     */
    public static String scrape(final MetricsSnapshot s)
    {
        final StringBuilder out = new StringBuilder(8192);
        header(out, "ivbot_requests_total", "counter", "Chat replies by source.");
        for (final Map.Entry<ReplySource, Long> e : s.requests().entrySet())
        {
            out.append("ivbot_requests_total{source=\"").append(e.getKey().id()).append("\"} ").append(e.getValue()).append('\n');
        }
        header(out, "ivbot_errors_total", "counter", "Requests answered with an error, by the error's code.");
        for (final Map.Entry<String, Long> e : s.errors().entrySet())
        {
            out.append("ivbot_errors_total{code=\"").append(escape(e.getKey())).append("\"} ").append(e.getValue()).append('\n');
        }
        header(out, "ivbot_fallbacks_total", "counter", "Turns answered by the rule engine because the model could not, by reason.");
        for (final Map.Entry<FallbackReason, Long> e : s.fallbacks().entrySet())
        {
            out.append("ivbot_fallbacks_total{reason=\"").append(e.getKey().id()).append("\"} ").append(e.getValue()).append('\n');
        }
        header(out, "ivbot_cache_lookups_total", "counter", "Model answer cache lookups.");
        out.append("ivbot_cache_lookups_total ").append(s.cacheLookupsTotal()).append('\n');
        header(out, "ivbot_cache_hits_total", "counter", "Model answer cache hits (replies whose source is cache).");
        out.append("ivbot_cache_hits_total ").append(s.cacheHitsTotal()).append('\n');
        header(out, "ivbot_session_store_errors_total", "counter", "Failed session reads and writes.");
        out.append("ivbot_session_store_errors_total ").append(s.sessionErrorsTotal()).append('\n');
        appendSessionStore(out, s.store());
        String last = null;
        for (final MetricsSnapshot.Sample sample : s.samples())
        {
            if (!sample.name().equals(last))
            {
                header(out, sample.name(), sample.type(), sample.help());
                last = sample.name();
            }
            out.append(sample.series()).append(' ').append(sample.value()).append('\n');
        }
        header(out, "ivbot_inference_queue_depth", "gauge", "Model requests waiting for the inference thread.");
        out.append("ivbot_inference_queue_depth ").append(s.queueDepth()).append('\n');
        header(out, "ivbot_inference_errors_total", "counter",
            "Failed inference batches, and errors that ended the inference thread.");
        out.append("ivbot_inference_errors_total ").append(s.inferenceErrorsTotal()).append('\n');
        header(out, "ivbot_model_info", "gauge", "The model in service.");
        for (final MetricsSnapshot.ModelFigures model : s.models())
        {
            out.append("ivbot_model_info{version=\"").append(escape(model.version())).append("\",device=\"")
                .append(escape(model.device())).append("\"} 1\n");
        }
        header(out, "ivbot_stage_latency_seconds", "histogram", "Latency per stage since start.");
        for (final Map.Entry<Stage, MetricsSnapshot.StageFigures> e : s.stages().entrySet())
        {
            latencyHistogram(out, e.getKey(), e.getValue());
        }
        batchHistogram(out, s.batches());
        appendJvm(out, s.jvm());
        return out.toString();
    }

    private static void latencyHistogram(final StringBuilder out, final Stage stage, final MetricsSnapshot.StageFigures f)
    {
        final String label = "{stage=\"" + stage.id() + "\"";
        final List<Long> buckets = f.bucketsSinceStart();
        for (int i = 0; i < buckets.size(); i++)
        {
            out.append("ivbot_stage_latency_seconds_bucket").append(label).append(",le=\"")
                .append(format(MetricsSnapshot.LATENCY_BUCKETS_S.get(i))).append("\"} ").append(buckets.get(i)).append('\n');
        }
        final long count = f.sinceStart().count();
        out.append("ivbot_stage_latency_seconds_bucket").append(label).append(",le=\"+Inf\"} ").append(count).append('\n');
        out.append("ivbot_stage_latency_seconds_sum").append(label).append("} ").append(format(f.sumSecondsSinceStart())).append('\n');
        out.append("ivbot_stage_latency_seconds_count").append(label).append("} ").append(count).append('\n');
    }

    private static void batchHistogram(final StringBuilder out, final MetricsSnapshot.BatchFigures batches)
    {
        header(out, "ivbot_batch_size", "histogram", "Model requests per ONNX Runtime call since start.");
        for (final long le : MetricsSnapshot.BATCH_BUCKETS)
        {
            out.append("ivbot_batch_size_bucket{le=\"").append(le).append("\"} ").append(batches.countAtMost(le)).append('\n');
        }
        final long count = batches.sinceStart().count();
        out.append("ivbot_batch_size_bucket{le=\"+Inf\"} ").append(count).append('\n');
        out.append("ivbot_batch_size_sum ").append(batches.requestsSinceStart()).append('\n');
        out.append("ivbot_batch_size_count ").append(count).append('\n');
    }

    /**
     * Appends the session store's families: {@code ivbot_session_store_up}, {@code _state},
     * {@code _pending_writes} and {@code _failed_writes_total}.
     *
     * @param out   the exposition text so far.
     * @param store the store's figures.
     */
    public static void appendSessionStore(final StringBuilder out, final MetricsSnapshot.StoreFigures store)
    {
        header(out, "ivbot_session_store_up", "gauge", "1 when the session store answers.");
        out.append("ivbot_session_store_up ").append(store.ready() ? 1 : 0).append('\n');
        header(out, "ivbot_session_store_state", "gauge", "1 for the session store's current state.");
        out.append("ivbot_session_store_state{state=\"").append(escape(store.state())).append("\"} 1\n");
        header(out, "ivbot_session_store_pending_writes", "gauge",
            "Session writes not yet acknowledged, including those held in the local queue through a switch.");
        out.append("ivbot_session_store_pending_writes ").append(store.pendingWrites()).append('\n');
        header(out, "ivbot_session_store_failed_writes_total", "counter",
            "Session writes not acknowledged within their window, or refused by a full queue or a down store.");
        out.append("ivbot_session_store_failed_writes_total ").append(store.failedWrites()).append('\n');
    }

    private static void appendJvm(final StringBuilder out, final JvmFigures jvm)
    {
        final String[] areas = {"heap", "nonheap"};
        final JvmFigures.MemoryFigures[] memory = {jvm.heap(), jvm.nonHeap()};
        header(out, "jvm_memory_used_bytes", "gauge", "Used bytes of a given JVM memory area.");
        for (int i = 0; i < areas.length; i++)
        {
            out.append("jvm_memory_used_bytes{area=\"").append(areas[i]).append("\"} ").append(memory[i].used()).append('\n');
        }
        header(out, "jvm_memory_committed_bytes", "gauge", "Committed bytes of a given JVM memory area.");
        for (int i = 0; i < areas.length; i++)
        {
            out.append("jvm_memory_committed_bytes{area=\"").append(areas[i]).append("\"} ").append(memory[i].committed()).append('\n');
        }
        header(out, "jvm_memory_max_bytes", "gauge", "Max bytes of a given JVM memory area (-1 when undefined).");
        for (int i = 0; i < areas.length; i++)
        {
            out.append("jvm_memory_max_bytes{area=\"").append(areas[i]).append("\"} ").append(memory[i].max()).append('\n');
        }
        header(out, "jvm_gc_collection_seconds", "summary", "Time spent in a given JVM garbage collector in seconds.");
        for (final JvmFigures.CollectorFigures gc : jvm.collectors())
        {
            final String label = "{gc=\"" + escape(gc.name()) + "\"} ";
            out.append("jvm_gc_collection_seconds_count").append(label).append(gc.collections()).append('\n');
            out.append("jvm_gc_collection_seconds_sum").append(label).append(format(gc.seconds())).append('\n');
        }
        gauge(out, "jvm_threads_current", "Current thread count of a JVM.", jvm.threads());
        gauge(out, "jvm_threads_daemon", "Daemon thread count of a JVM.", jvm.daemonThreads());
        gauge(out, "jvm_threads_peak", "Peak thread count of a JVM.", jvm.peakThreads());
        if (jvm.processCpuSeconds() >= 0)
        {
            header(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
            out.append("process_cpu_seconds_total ").append(format(jvm.processCpuSeconds())).append('\n');
        }
        if (jvm.residentMemoryBytes() >= 0)
        {
            gauge(out, "process_resident_memory_bytes", "Resident memory size in bytes.", jvm.residentMemoryBytes());
        }
        if (jvm.openFds() >= 0)
        {
            gauge(out, "process_open_fds", "Number of open file descriptors.", jvm.openFds());
            gauge(out, "process_max_fds", "Maximum number of open file descriptors.", jvm.maxFds());
        }
        header(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
        out.append("process_start_time_seconds ").append(format(jvm.startTimeSeconds())).append('\n');
    }

    private static void gauge(final StringBuilder out, final String name, final String help, final long value)
    {
        header(out, name, "gauge", help);
        out.append(name).append(' ').append(value).append('\n');
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
