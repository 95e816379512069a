package ivbot.inference;

/**
 * The 24 intents of the label contract ({@code shared/spec/intents.json}), in the contract's order.
 * {@link #ordinal()} is the class index used by classifiers.
 */
public enum Intent
{
    LEAVE_ANNUAL("leave_annual", "年假"),
    LEAVE_SICK("leave_sick", "病假"),
    LEAVE_MARRIAGE("leave_marriage", "婚假"),
    LEAVE_PARENTAL("leave_parental", "产假/陪产假"),
    WORK_HOURS("work_hours", "工作时间"),
    REMOTE_WORK("remote_work", "远程办公"),
    SALARY("salary", "薪资"),
    SOCIAL_INSURANCE("social_insurance", "五险一金"),
    ALLOWANCES("allowances", "补贴"),
    PROBATION("probation", "试用期"),
    CONTRACT("contract", "合同/三方"),
    HUKOU("hukou", "户口档案"),
    INTERN_CONVERSION("intern_conversion", "实习转正"),
    RESIGNATION("resignation", "离职"),
    APPLICATION("application", "投递"),
    INTERVIEW_PROCESS("interview_process", "面试流程"),
    INTERVIEW_RESULT("interview_result", "面试结果"),
    OFFER("offer", "offer"),
    ONBOARDING("onboarding", "入职"),
    TRAINING("training", "培训发展"),
    GREETING("greeting", "问候"),
    THANKS_BYE("thanks_bye", "感谢告别"),
    HUMAN_AGENT("human_agent", "转人工"),
    OUT_OF_SCOPE("out_of_scope", "无关");

    private static final Intent[] VALUES = values();

    private final String id;
    private final String zh;

    Intent(final String id, final String zh)
    {
        this.id = id;
        this.zh = zh;
    }

    /**
     * @return the intent's Chinese name, e.g. {@code "病假"}: what a context-reading model sees as the topic.
     */
    public String zh()
    {
        return zh;
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
