package ivbot.inference;

/**
 * The audience slot of the label contract ({@code shared/spec/intents.json}): which hiring track a
 * policy answer is for.
 */
public enum Audience
{
    CAMPUS("campus", "校招"),
    EXPERIENCED("experienced", "社招"),
    INTERN("intern", "实习");

    private static final Audience[] VALUES = values();

    private final String id;
    private final String zh;

    Audience(final String id, final String zh)
    {
        this.id = id;
        this.zh = zh;
    }

    /**
     * @return the id used on the wire and in data files, e.g. {@code "campus"}.
     */
    public String id()
    {
        return id;
    }

    /**
     * @return the Chinese name, e.g. {@code "校招"}.
     */
    public String zh()
    {
        return zh;
    }

    /**
     * @param id a wire id such as {@code "intern"}.
     * @return the audience, or {@code null} when {@code id} is not one of the three ids.
     */
    public static Audience fromId(final String id)
    {
        if (id != null)
        {
            for (final Audience audience : VALUES)
            {
                if (audience.id.equals(id))
                {
                    return audience;
                }
            }
        }
        return null;
    }
}
