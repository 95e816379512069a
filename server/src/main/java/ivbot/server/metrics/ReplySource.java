package ivbot.server.metrics;

/**
 * Where a chat reply's answer came from: the label {@code source} of {@code ivbot_requests_total} and the
 * {@code source} field of a reply. A new source is one constant here; every view iterates the enum.
 */
public enum ReplySource
{
    /** The model answered within the deadline. */
    MODEL("model"),
    /** A cached model answer. */
    CACHE("cache"),
    /** The rule engine answered (confident rules, a fallback, or a model below its threshold). */
    RULES("rules");

    private final String id;

    ReplySource(final String id)
    {
        this.id = id;
    }

    /**
     * @return the label value and wire name, e.g. {@code cache}.
     */
    public String id()
    {
        return id;
    }

    /**
     * @param id a reply's {@code source}.
     * @return its constant; {@link #RULES} for anything unknown (the rules are what answers when nothing else did).
     */
    public static ReplySource of(final String id)
    {
        for (final ReplySource source : values())
        {
            if (source.id.equals(id))
            {
                return source;
            }
        }
        return RULES;
    }
}
