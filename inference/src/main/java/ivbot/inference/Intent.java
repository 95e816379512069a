package ivbot.inference;

/**
 * The 24 intents of the label contract ({@code shared/spec/intents.json}), in the contract's order.
 * {@link #ordinal()} is the class index used by classifiers.
 */
public enum Intent
{
    LEAVE_ANNUAL("leave_annual"),
    LEAVE_SICK("leave_sick"),
    LEAVE_MARRIAGE("leave_marriage"),
    LEAVE_PARENTAL("leave_parental"),
    WORK_HOURS("work_hours"),
    REMOTE_WORK("remote_work"),
    SALARY("salary"),
    SOCIAL_INSURANCE("social_insurance"),
    ALLOWANCES("allowances"),
    PROBATION("probation"),
    CONTRACT("contract"),
    HUKOU("hukou"),
    INTERN_CONVERSION("intern_conversion"),
    RESIGNATION("resignation"),
    APPLICATION("application"),
    INTERVIEW_PROCESS("interview_process"),
    INTERVIEW_RESULT("interview_result"),
    OFFER("offer"),
    ONBOARDING("onboarding"),
    TRAINING("training"),
    GREETING("greeting"),
    THANKS_BYE("thanks_bye"),
    HUMAN_AGENT("human_agent"),
    OUT_OF_SCOPE("out_of_scope");

    private static final Intent[] VALUES = values();

    private final String id;

    Intent(final String id)
    {
        this.id = id;
    }

    /**
     * @return the id used on the wire and in data files, e.g. {@code "leave_sick"}.
     */
    public String id()
    {
        return id;
    }

    /**
     * @return true for intents that are about a policy (everything but greetings, thanks, a request for
     * a human and out-of-scope chat).
     */
    public boolean isPolicy()
    {
        return ordinal() < GREETING.ordinal();
    }

    /**
     * @param id a wire id such as {@code "salary"}.
     * @return the intent, or {@code null} when {@code id} is not one of the 24 ids.
     */
    public static Intent fromId(final String id)
    {
        if (id != null)
        {
            for (final Intent intent : VALUES)
            {
                if (intent.id.equals(id))
                {
                    return intent;
                }
            }
        }
        return null;
    }

    /**
     * @param index a class index in {@code [0, 24)}.
     * @return the intent at that index.
     */
    public static Intent fromIndex(final int index)
    {
        return VALUES[index];
    }

    /**
     * @return the number of intents.
     */
    public static int count()
    {
        return VALUES.length;
    }
}
