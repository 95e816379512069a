package ivbot.server.intent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The canary's {@link CanaryController.Status} as JSON, for the admin endpoint, JMX and {@code ivbot model status}:
 * <pre>
 * {"state": "soaking", "stable": "20261125-1", "candidate": "20261202-1", "share": 0.05, "soak_left_s": 412,
 *  "cohorts": {"stable": {"turns", "fallback_share", "error_share", "p99_ms"}, "canary": {...}},
 *  "shadowed": 311, "agreement": 0.97, "promotions": 0, "rollbacks": 1,
 *  "last": {"action", "version", "reason", "detail", "at_ms"}, "disagreements": [{"query", "stable", "candidate"}]}
 * </pre>
 * Stateless.
 */
public final class CanaryStatusJson
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private CanaryStatusJson()
    {
    }

    /**
     * @param status a snapshot.
     * @return it as a JSON object.
     */
    public static ObjectNode toJson(final CanaryController.Status status)
    {
        final ObjectNode json = MAPPER.createObjectNode()
            .put("state", status.state().name().toLowerCase(java.util.Locale.ROOT))
            .put("stable", status.stableVersion())
            .put("candidate", status.candidateVersion())
            .put("share", status.share())
            .put("soak_left_s", status.soakLeftMs() / 1000);
        final ObjectNode cohorts = json.putObject("cohorts");
        cohort(cohorts.putObject("stable"), status.stable());
        cohort(cohorts.putObject("canary"), status.canary());
        json.put("shadowed", status.shadowed());
        if (Double.isNaN(status.agreement()))
        {
            json.putNull("agreement");
        }
        else
        {
            json.put("agreement", status.agreement());
        }
        json.put("promotions", status.promotions()).put("rollbacks", status.rollbacks());
        final CanaryController.Decision last = status.last();
        if (last == null)
        {
            json.putNull("last");
        }
        else
        {
            json.putObject("last").put("action", last.action()).put("version", last.version()).put("reason", last.reason())
                .put("detail", last.detail()).put("at_ms", last.atMs());
        }
        final ArrayNode disagreements = json.putArray("disagreements");
        for (final CanaryController.Disagreement d : status.disagreements())
        {
            disagreements.addObject().put("query", d.query()).put("stable", d.stable()).put("candidate", d.candidate());
        }
        return json;
    }

    /**
     * @param status a snapshot.
     * @return it as compact JSON text.
     */
    public static String write(final CanaryController.Status status)
    {
        return toJson(status).toString();
    }

    private static void cohort(final ObjectNode json, final CanaryController.Cohort cohort)
    {
        json.put("turns", cohort.turns()).put("fallback_share", cohort.fallbackShare()).put("error_share", cohort.errorShare());
        if (Double.isNaN(cohort.p99Ms()))
        {
            json.putNull("p99_ms");
        }
        else
        {
            json.put("p99_ms", cohort.p99Ms());
        }
    }
}
