package ivbot.inference.rules;

import ivbot.inference.model.Models;
import ivbot.inference.Audience;
import ivbot.inference.Intent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RuleClassifierTest
{
    private static final RuleClassifier CLASSIFIER = RuleClassifier.loadDefault(Models.catalog());

    /**
     * The examples of every intent in {@code shared/spec/intents.json}, copied as literals.
     */
    static Stream<Arguments> specExamples()
    {
        return Stream.of(
            Arguments.of("leave_annual", "年假有几天?"),
            Arguments.of("leave_annual", "入职第一年有带薪年假吗"),
            Arguments.of("leave_annual", "年假可以累积到明年吗"),
            Arguments.of("leave_sick", "病假工资怎么算"),
            Arguments.of("leave_sick", "请病假需要医院证明吗"),
            Arguments.of("leave_sick", "那病假呢"),
            Arguments.of("leave_marriage", "婚假几天"),
            Arguments.of("leave_marriage", "结婚可以请多久的假"),
            Arguments.of("leave_marriage", "婚假要在领证后多久内休完"),
            Arguments.of("leave_parental", "产假有多少天"),
            Arguments.of("leave_parental", "男员工有陪产假吗"),
            Arguments.of("leave_parental", "育儿假怎么休"),
            Arguments.of("work_hours", "几点上班"),
            Arguments.of("work_hours", "加班有加班费吗"),
            Arguments.of("work_hours", "是双休吗"),
            Arguments.of("remote_work", "可以居家办公吗"),
            Arguments.of("remote_work", "支持远程吗"),
            Arguments.of("remote_work", "一周能在家办公几天"),
            Arguments.of("salary", "工资几号发"),
            Arguments.of("salary", "年终奖一般几个月"),
            Arguments.of("salary", "薪资结构是怎样的"),
            Arguments.of("social_insurance", "五险一金按什么基数交"),
            Arguments.of("social_insurance", "公积金比例多少"),
            Arguments.of("social_insurance", "有补充医疗保险吗"),
            Arguments.of("allowances", "有饭补吗"),
            Arguments.of("allowances", "外地入职有搬家补贴吗"),
            Arguments.of("allowances", "公司提供住宿吗"),
            Arguments.of("probation", "试用期多久"),
            Arguments.of("probation", "试用期工资打几折"),
            Arguments.of("probation", "试用期考核看什么"),
            Arguments.of("contract", "三方协议什么时候签"),
            Arguments.of("contract", "劳动合同签几年"),
            Arguments.of("contract", "违约金是多少"),
            Arguments.of("hukou", "能解决户口吗"),
            Arguments.of("hukou", "档案要寄到哪里"),
            Arguments.of("hukou", "应届生落户有什么条件"),
            Arguments.of("intern_conversion", "实习可以转正吗"),
            Arguments.of("intern_conversion", "转正答辩什么时候"),
            Arguments.of("intern_conversion", "实习留用率高吗"),
            Arguments.of("resignation", "离职要提前多久说"),
            Arguments.of("resignation", "辞职流程是怎样的"),
            Arguments.of("resignation", "实习可以提前结束吗"),
            Arguments.of("application", "怎么投简历"),
            Arguments.of("application", "可以内推吗"),
            Arguments.of("application", "网申截止到什么时候"),
            Arguments.of("interview_process", "面试一共几轮"),
            Arguments.of("interview_process", "有笔试吗"),
            Arguments.of("interview_process", "面试是线上还是线下"),
            Arguments.of("interview_result", "面完多久出结果"),
            Arguments.of("interview_result", "怎么查询面试进度"),
            Arguments.of("interview_result", "一直没消息是挂了吗"),
            Arguments.of("offer", "offer什么时候发"),
            Arguments.of("offer", "offer可以谈薪吗"),
            Arguments.of("offer", "offer接受期限是多久"),
            Arguments.of("onboarding", "入职要带什么材料"),
            Arguments.of("onboarding", "入职体检在哪做"),
            Arguments.of("onboarding", "什么时候可以入职"),
            Arguments.of("training", "新人有培训吗"),
            Arguments.of("training", "会安排导师吗"),
            Arguments.of("training", "晋升一年几次"),
            Arguments.of("greeting", "你好"),
            Arguments.of("greeting", "在吗"),
            Arguments.of("greeting", "hello"),
            Arguments.of("thanks_bye", "谢谢"),
            Arguments.of("thanks_bye", "好的明白了"),
            Arguments.of("thanks_bye", "拜拜"),
            Arguments.of("human_agent", "转人工"),
            Arguments.of("human_agent", "我要找HR"),
            Arguments.of("human_agent", "有没有人工客服"),
            Arguments.of("out_of_scope", "今天天气怎么样"),
            Arguments.of("out_of_scope", "讲个笑话"),
            Arguments.of("out_of_scope", "你们股价多少"));
    }

    @ParameterizedTest(name = "{1} -> {0}")
    @MethodSource("specExamples")
    void shouldClassifyEverySpecExample(final String intentId, final String text)
    {
        final RuleMatch match = CLASSIFIER.classify(text);
        assertEquals(Models.catalog().fromId(intentId), match.intent(), text);
        assertTrue(match.confidence() > 0f && match.confidence() <= 1f, "confidence " + match.confidence());
    }

    @Test
    void shouldCoverEveryIntentWithSpecExamples()
    {
        final long covered = specExamples().map(args -> args.get()[0]).distinct().count();
        assertEquals(Models.catalog().size(), covered);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '\t', value = {
        "校招年假几天\tcampus",
        "应届生落户有什么条件\tcampus",
        "毕业生有没有三方\tcampus",
        "秋招什么时候开始\tcampus",
        "春招还有岗位吗\tcampus",
        "校园招聘的流程\tcampus",
        "我是25届的\tcampus",
        "26届可以投吗\tcampus",
        "社招试用期多久\texperienced",
        "社会招聘有笔试吗\texperienced",
        "我有工作经验\texperienced",
        "工作三年了可以投吗\texperienced",
        "工作5年能定几级\texperienced",
        "跳槽过来的年假怎么算\texperienced",
        "在职可以面试吗\texperienced",
        "离职后再找工作算社招吗\texperienced",
        "实习生有年假吗\tintern",
        "日常实习多久\tintern",
        "暑期实习怎么投\tintern",
        "实习期间有工资吗\tintern",
        "实习的可以居家吗\tintern",
        "实习可以转正吗\tintern",
        "实习转正难吗\tintern",
        "寒假实习有饭补吗\tintern"})
    void shouldExtractAudience(final String text, final String audienceId)
    {
        assertEquals(Audience.fromId(audienceId), CLASSIFIER.classify(text).audience(), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"年假有几天?", "加班有加班费吗", "你好", "今天天气怎么样", "有没有人工客服", "面试一共几轮"})
    void shouldLeaveAudienceNullWhenNoTrackIsNamed(final String text)
    {
        assertNull(CLASSIFIER.classify(text).audience(), text);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '\t', value = {
        "那实习生呢\tintern",
        "社招的呢?\texperienced",
        "那校招呢\tcampus",
        "实习呢\tintern",
        "应届生呢\tcampus"})
    void shouldKeepIntentNullForAudienceOnlyFollowUp(final String text, final String audienceId)
    {
        final RuleMatch match = CLASSIFIER.classify(text);
        assertNull(match.intent(), text);
        assertEquals(Audience.fromId(audienceId), match.audience(), text);
        assertEquals(0f, match.confidence());
    }

    @ParameterizedTest
    @ValueSource(strings = {"那要多久?", "需要什么材料", "多少天", "怎么算", "嗯", "那个", "还有呢", "可以吗", "?", "123"})
    void shouldKeepIntentAndAudienceNullForFollowUpWithoutTopic(final String text)
    {
        assertEquals(new RuleMatch(null, null, 0f), CLASSIFIER.classify(text), text);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '\t', value = {
        "那病假呢\tleave_sick\t",
        "工资打几折\tprobation\t",
        "实习可以转正吗\tintern_conversion\tintern",
        "实习生有年假吗\tleave_annual\tintern",
        "试用期工资多少\tprobation\t",
        "加班费怎么算\twork_hours\t",
        "病假工资怎么算\tleave_sick\t",
        "实习工资多少\tsalary\tintern",
        "婚假要提前多久请假\tleave_marriage\t",
        "请婚假要什么材料\tleave_marriage\t",
        "你好,年假有几天\tleave_annual\t",
        "谢谢,那病假呢\tleave_sick\t",
        "面试要写代码吗\tinterview_process\t",
        "远程面试怎么安排\tinterview_process\t",
        "入职体检在哪做\tonboarding\t",
        "实习生可以居家办公吗\tremote_work\tintern",
        "实习可以提前结束吗\tresignation\tintern",
        "试用期能请病假吗\tleave_sick\t",
        "试用期多久能转正\tprobation\t",
        "社招试用期考核不过会怎样\tprobation\texperienced",
        "离职证明怎么开\tresignation\t",
        "入职需要离职证明吗\tonboarding\t",
        "社保断缴了怎么办\tsocial_insurance\t",
        "五险一金交满几年能落户\thukou\t",
        "一面过没过在哪看\tinterview_result\t",
        "腾讯年终奖多少\tout_of_scope\t",
        "面试用什么软件,腾讯会议还是飞书\tinterview_process\t"})
    void shouldResolveCompetingCuesByTopic(final String text, final String intentId, final String audienceId)
    {
        final RuleMatch match = CLASSIFIER.classify(text);
        assertEquals(Models.catalog().fromId(intentId), match.intent(), text);
        assertEquals(Audience.fromId(audienceId), match.audience(), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"实习", "实习生", "我是实习的", "暑期实习"})
    void shouldNotReadInternConversionFromTheAudienceWordAlone(final String text)
    {
        final RuleMatch match = CLASSIFIER.classify(text);
        assertNull(match.intent(), text);
        assertEquals(Audience.INTERN, match.audience(), text);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '\t', value = {
        "年价有几天\tleave_annual",
        "公基金比例多少\tsocial_insurance",
        "how many days of annual leave\tleave_annual",
        "Sick leave policy?\tleave_sick",
        "when will I get the offer\toffer",
        "what is the salary range\tsalary",
        "can I work remote\tremote_work",
        "WFH allowed?\tremote_work",
        "interview rounds\tinterview_process",
        "when do I onboard\tonboarding"})
    void shouldReadCommonTyposAndEnglish(final String text, final String intentId)
    {
        assertEquals(Models.catalog().fromId(intentId), CLASSIFIER.classify(text).intent(), text);
    }

    @Test
    void shouldNormaliseFullWidthAndUpperCase()
    {
        assertAll(
            () -> assertEquals(Models.intent("human_agent"), CLASSIFIER.classify("我要找ＨＲ").intent()),
            () -> assertEquals(Models.intent("human_agent"), CLASSIFIER.classify("我要找HR").intent()),
            () -> assertEquals(Models.intent("human_agent"), CLASSIFIER.classify("我要找hr").intent()),
            () -> assertEquals(Models.intent("offer"), CLASSIFIER.classify("Offer什么时候发").intent()),
            () -> assertEquals(Models.intent("offer"), CLASSIFIER.classify("ＯＦＦＥＲ什么时候发").intent()),
            () -> assertEquals(Audience.CAMPUS, CLASSIFIER.classify("２５届年假几天").audience()),
            () -> assertEquals(
                CLASSIFIER.classify("ｏｆｆｅｒ什么时候发"), CLASSIFIER.classify("offer什么时候发")),
            // NFKC keeps traditional characters, so the commonest are cues of their own
            () -> assertEquals(Models.intent("intern_conversion"), CLASSIFIER.classify("實習可以轉正嗎").intent()),
            () -> assertEquals(Audience.INTERN, CLASSIFIER.classify("實習可以轉正嗎").audience()));
    }

    @Test
    void shouldMatchEnglishCuesOnlyAsWholeWords()
    {
        assertAll(
            () -> assertNull(CLASSIFIER.classify("three things").intent()),
            () -> assertNull(CLASSIFIER.classify("this").intent()),
            () -> assertNull(CLASSIFIER.classify("international").audience()),
            () -> assertEquals(Models.intent("greeting"), CLASSIFIER.classify("hi").intent()),
            () -> assertEquals(Models.intent("human_agent"), CLASSIFIER.classify("hr电话多少").intent()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"随便聊点什么", "你觉得呢", "嗯嗯嗯嗯嗯嗯嗯", "abc xyz"})
    void shouldNotCallTextOutOfScopeWithoutAPositiveCue(final String text)
    {
        assertTrue(CLASSIFIER.classify(text).intent() != Models.intent("out_of_scope"), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"帮我写代码", "推荐一部电影", "买什么彩票", "今天股票涨了吗"})
    void shouldCallTextOutOfScopeOnAPositiveCue(final String text)
    {
        assertEquals(Models.intent("out_of_scope"), CLASSIFIER.classify(text).intent(), text);
    }

    @Test
    void shouldBeMoreConfidentWhenStrongCuesAgreeThanWhenWeakCuesConflict()
    {
        final float agreeing = CLASSIFIER.classify("年假有几天,带薪年假怎么休").confidence();
        final float single = CLASSIFIER.classify("年假有几天?").confidence();
        final float weak = CLASSIFIER.classify("钱什么时候到").confidence();
        final float conflicting = CLASSIFIER.classify("年假和病假和婚假").confidence();
        assertTrue(agreeing > single, agreeing + " vs " + single);
        assertTrue(single > weak, single + " vs " + weak);
        assertTrue(single > conflicting, single + " vs " + conflicting);
        assertTrue(weak > 0f && conflicting > 0f);
    }

    @Test
    void shouldNeverThrowOnOddInput()
    {
        final String unpaired = "年假\uD83D有几天\uDC00" + "\uDFFF\uD800";
        final List<String> inputs = List.of(
            "",
            " ",
            "\u0000\u0001\t\n",
            "😀😀😀",
            "年假😀几天",
            unpaired,
            "\uD800",
            "\uDC00",
            "年".repeat(10_000),
            "offer年假".repeat(2_000),
            "x".repeat(10_000),
            "\u202E\u200B\uFEFF",
            "ﬁ㍿㈱");
        for (final String input : inputs)
        {
            final RuleMatch match = CLASSIFIER.classify(input);
            assertNotNull(match);
            assertTrue(match.confidence() >= 0f && match.confidence() <= 1f);
        }
        assertEquals(new RuleMatch(null, null, 0f), CLASSIFIER.classify(null));
        assertEquals(Models.intent("leave_annual"), CLASSIFIER.classify(unpaired).intent());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldGiveTheSameAnswersFromManyThreads() throws Exception
    {
        final List<String> texts = specExamples().map(args -> (String)args.get()[1]).toList();
        final List<RuleMatch> expected = texts.stream().map(CLASSIFIER::classify).toList();
        final ExecutorService pool = Executors.newFixedThreadPool(4);
        try
        {
            final List<Future<List<RuleMatch>>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++)
            {
                futures.add(pool.submit(() ->
                {
                    List<RuleMatch> last = null;
                    for (int round = 0; round < 200; round++)
                    {
                        last = texts.stream().map(CLASSIFIER::classify).toList();
                    }
                    return last;
                }));
            }
            for (final Future<List<RuleMatch>> future : futures)
            {
                assertEquals(expected, future.get(20, TimeUnit.SECONDS));
            }
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldRejectMalformedRuleFilesNamingTheLine()
    {
        assertAll(
            () -> assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RuleFileParser.parse(List.of("[no_such_intent]"), "t", Models.catalog())).getMessage().startsWith("t:1: ")),
            () -> assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RuleFileParser.parse(List.of("3 年假"), "t", Models.catalog())).getMessage().startsWith("t:1: ")),
            () -> assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RuleFileParser.parse(List.of("[salary]", "x 工资"), "t", Models.catalog())).getMessage().startsWith("t:2: ")),
            () -> assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RuleFileParser.parse(List.of("[salary]", "3 工资", "[offer]", "3 工资"), "t", Models.catalog()))
                .getMessage().startsWith("t:4: ")),
            () -> assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RuleFileParser.parse(List.of("[salary]", "3 /(/"), "t", Models.catalog())).getMessage().startsWith("t:2: ")),
            () -> assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RuleFileParser.parse(List.of("[salary]", "3 /x/ when y"), "t", Models.catalog())).getMessage().startsWith("t:2: ")),
            () -> assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RuleFileParser.parse(List.of("[-]", "0 /x/"), "t", Models.catalog())).getMessage().startsWith("t:2: ")));
    }

    @Test
    void shouldSearchAnExpressionOnlyWhenOneOfItsGuardsIsPresent()
    {
        final RuleClassifier classifier = RuleFileParser.parse(List.of(
            "[salary]", "3 /[0-9]+k/ if 月薪|工资", "[@campus]", "3 /[0-9]{2}届/"), "t", Models.catalog());
        assertAll(
            () -> assertNull(classifier.classify("20k").intent()),
            () -> assertEquals(Models.intent("salary"), classifier.classify("月薪20k").intent()),
            () -> assertEquals(Models.intent("salary"), classifier.classify("20k工资").intent()),
            () -> assertEquals(Audience.CAMPUS, classifier.classify("25届").audience()));
    }

    @Test
    void shouldPreferTheLongestCueOverTheCuesInsideIt()
    {
        final RuleClassifier classifier = RuleFileParser.parse(List.of(
            "[work_hours]", "3 加班费", "[salary]", "2 费|工资", "[allowances]", "3 加班餐", "[-]", "0 加班费用"), "t", Models.catalog());
        assertAll(
            () -> assertEquals(Models.intent("work_hours"), classifier.classify("加班费").intent()),
            () -> assertEquals(Models.intent("allowances"), classifier.classify("加班餐").intent()),
            () -> assertNull(classifier.classify("加班费用").intent()),
            () -> assertEquals(Models.intent("salary"), classifier.classify("工资").intent()));
    }

    @Test
    void shouldRefuseARuleSectionNamingAnIntentTheCatalogLacksNamingTheFileLineAndId()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> RuleFileParser.parse(List.of("# new topic", "[salary]", "3 工资", "[relocation]", "3 调动"), "rules.txt",
                Models.catalog()));
        assertTrue(ex.getMessage().startsWith("rules.txt:4: "), ex.getMessage());
        assertTrue(ex.getMessage().contains("'relocation'"), ex.getMessage());
    }

    @Test
    void shouldListTheCatalogIntentsWithoutCuesInsteadOfRefusingThem()
    {
        final RuleClassifier partial = RuleFileParser.parse(List.of("[salary]", "3 工资", "[offer]", "3 /offer/"), "t",
            Models.catalog());
        assertEquals(Models.catalog().size() - 2, partial.intentsWithoutCues().size());
        assertFalse(partial.intentsWithoutCues().contains(Models.intent("salary")));
        assertFalse(partial.intentsWithoutCues().contains(Models.intent("offer")));
        assertTrue(partial.intentsWithoutCues().contains(Models.intent("leave_sick")));
        assertEquals(List.of(), CLASSIFIER.intentsWithoutCues(), "the built-in rules cue every intent of the catalog");
    }

    @Test
    void shouldLetOnlySectionsMarkedYieldsGiveWayToOtherTopics()
    {
        final RuleClassifier yielding = RuleFileParser.parse(List.of("[greeting yields]", "3 你好", "[salary]", "1 工资"),
            "t", Models.catalog());
        final RuleClassifier plain = RuleFileParser.parse(List.of("[greeting]", "3 你好", "[salary]", "1 工资"),
            "t", Models.catalog());
        assertAll(
            () -> assertEquals(Models.intent("salary"), yielding.classify("你好工资").intent()),
            () -> assertEquals(Models.intent("greeting"), plain.classify("你好工资").intent()),
            () -> assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RuleFileParser.parse(List.of("[greeting soon]"), "t", Models.catalog())).getMessage().startsWith("t:1: ")));
    }
}
