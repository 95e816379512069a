package ivbot.inference;

/**
 * One intent of an {@link IntentCatalog}: its wire id, its Chinese name, its kind and its class index (its
 * position in the catalog, the row of a classifier's head). Instances come only from a catalog; nothing
 * about a particular intent is compiled in.
 * <p>
 * Immutable and thread-safe. Two intents are equal when their ids and indexes are: two loads of one catalog
 * file agree, and an intent that keeps its position when a catalog grows keeps comparing equal.
 */
public final class Intent
{
    /**
     * What an intent is for.
     */
    public enum Kind
    {
        /** A policy topic: answered from the knowledge base, and carried by a session to its follow-ups. */
        POLICY("policy"),
        /** Greetings, thanks, asking for a human: answered, but never a session's topic. */
        SOCIAL("social"),
        /** What a turn is when nothing else fits (out of scope); exactly one per catalog. */
        FALLBACK("fallback");

        private final String id;

        Kind(final String id)
        {
            this.id = id;
        }

        /**
         * @return the id used in catalog files, e.g. {@code "policy"}.
         */
        public String id()
        {
            return id;
        }

        /**
         * @param id a kind id such as {@code "social"}.
         * @return the kind, or {@code null} when {@code id} is none of them.
         */
        public static Kind fromId(final String id)
        {
            for (final Kind kind : values())
            {
                if (kind.id.equals(id))
                {
                    return kind;
                }
            }
            return null;
        }
    }

    private final String id;
    private final String zh;
    private final Kind kind;
    private final int index;

    Intent(final String id, final String zh, final Kind kind, final int index)
    {
        this.id = id;
        this.zh = zh;
        this.kind = kind;
        this.index = index;
    }

    /**
     * @return the id used on the wire and in data files, e.g. {@code "leave_sick"}.
     */
    public String id()
    {
        return id;
    }

    /**
     * @return the Chinese name, e.g. {@code "病假"}, used where the bot names its topics to a user.
     */
    public String zh()
    {
        return zh;
    }

    /**
     * @return the kind.
     */
    public Kind kind()
    {
        return kind;
    }

    /**
     * @return the class index: the position in the catalog, in {@code [0, catalog.size())}.
     */
    public int index()
    {
        return index;
    }

    /**
     * @return true for intents whose kind is {@code policy}: topics the knowledge base answers and a session
     * carries to follow-ups.
     */
    public boolean isPolicy()
    {
        return kind == Kind.POLICY;
    }

    /**
     * @return true for the catalog's fallback intent.
     */
    public boolean isFallback()
    {
        return kind == Kind.FALLBACK;
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof Intent && ((Intent)other).index == index && ((Intent)other).id.equals(id);
    }

    @Override
    public int hashCode()
    {
        return id.hashCode() * 31 + index;
    }

    @Override
    public String toString()
    {
        return id;
    }
}
