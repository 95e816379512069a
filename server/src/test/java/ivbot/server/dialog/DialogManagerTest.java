package ivbot.server.dialog;

import ivbot.server.TestServer;
import ivbot.inference.Audience;
import ivbot.inference.Intent;
import ivbot.inference.rules.RuleClassifier;
import ivbot.inference.rules.RuleMatch;
import ivbot.server.intent.Classification;
import ivbot.server.session.Session;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class DialogManagerTest
{
    private static final RuleClassifier RULES = RuleClassifier.loadDefault(TestServer.catalog());
    private final DialogManager dialog = new DialogManager();

    /**
     * Runs turns through the rules and the dialog manager, carrying the session as the server does.
     */
    private TurnResolution[] converse(final Audience caller, final Audience track, final String... turns)
    {
        final TurnResolution[] out = new TurnResolution[turns.length];
        Session session = null;
        for (int i = 0; i < turns.length; i++)
        {
            final RuleMatch m = RULES.classify(turns[i]);
            final Classification turn = new Classification(m.intent(), m.intent(), m.confidence(), m.audience(), "rules", null, null);
            out[i] = dialog.resolve(session, turn, caller, track);
            session = new Session("abcdefgh", "u", out[i].topic(), out[i].audience(), i + 1, 0);
        }
        return out;
    }

    @Test
    void shouldSwitchIntentWhenATurnNamesATopic()
    {
        final TurnResolution[] r = converse(null, null, "年假有几天?", "那病假呢");
        assertEquals(TestServer.intent("leave_sick"), r[1].intent());
        assertEquals(TurnResolution.Rule.NEW_TOPIC, r[1].rule());
    }

    @Test
    void shouldKeepIntentAndSwitchAudienceOnAudienceOnlyTurn()
    {
        final TurnResolution[] r = converse(null, null, "校招年假几天", "那实习生呢");
        assertEquals(Audience.CAMPUS, r[0].audience());
        assertEquals(TestServer.intent("leave_annual"), r[1].intent());
        assertEquals(Audience.INTERN, r[1].audience());
        assertEquals(TurnResolution.Rule.AUDIENCE_SWITCH, r[1].rule());
    }

    @Test
    void shouldKeepIntentAndAudienceOnContinuation()
    {
        final TurnResolution[] r = converse(null, null, "社招试用期多久", "工资打几折");
        assertEquals(TestServer.intent("probation"), r[1].intent());
        assertEquals(Audience.EXPERIENCED, r[1].audience());
        final TurnResolution[] s = converse(null, null, "社招试用期多久", "那要多久?");
        assertEquals(TestServer.intent("probation"), s[1].intent());
        assertEquals(TurnResolution.Rule.CONTINUATION, s[1].rule());
    }

    @Test
    void shouldHoldTheAudienceUntilAnotherIsSaid()
    {
        final TurnResolution[] r = converse(null, null, "校招生年假几天?", "那病假呢", "婚假呢", "社招的呢", "产假呢");
        assertEquals(Audience.CAMPUS, r[1].audience());
        assertEquals(Audience.CAMPUS, r[2].audience());
        assertEquals(Audience.EXPERIENCED, r[3].audience());
        assertEquals(TestServer.intent("leave_marriage"), r[3].intent());
        assertEquals(Audience.EXPERIENCED, r[4].audience());
    }

    @Test
    void shouldTakeCallerAudienceThenTrackButLetTheTurnOverrule()
    {
        assertEquals(Audience.INTERN, converse(Audience.INTERN, Audience.CAMPUS, "年假几天")[0].audience());
        assertEquals(Audience.CAMPUS, converse(null, Audience.CAMPUS, "年假几天")[0].audience());
        assertEquals(Audience.EXPERIENCED, converse(Audience.INTERN, null, "社招年假几天")[0].audience());
    }

    @Test
    void shouldNotLetAGreetingReplaceTheTopic()
    {
        final TurnResolution[] r = converse(null, null, "试用期多久", "谢谢", "那实习生呢");
        assertEquals(TestServer.intent("thanks_bye"), r[1].intent());
        assertEquals(TestServer.intent("probation"), r[2].intent());
        assertEquals(Audience.INTERN, r[2].audience());
    }

    @Test
    void shouldUseTheStandaloneIntentOnlyWhenThereIsNoTopicToKeep()
    {
        final Session onProbation = new Session("abcdefgh", "u", TestServer.intent("probation"), null, 1, 0);
        final Classification unnamed = new Classification(null, TestServer.intent("salary"), 0.8f, null, "model", null, "v1");
        assertEquals(TestServer.intent("probation"), dialog.resolve(onProbation, unnamed, null, null).intent());
        final TurnResolution fresh = dialog.resolve(null, unnamed, null, null);
        assertEquals(TestServer.intent("salary"), fresh.intent());
        assertEquals(TestServer.intent("salary"), fresh.topic());
    }

    @Test
    void shouldLeaveTheIntentOpenWhenNothingIsKnown()
    {
        final TurnResolution r = converse(null, null, "那实习生呢")[0];
        assertNull(r.intent());
        assertEquals(Audience.INTERN, r.audience());
        assertEquals(TurnResolution.Rule.UNRESOLVED, r.rule());
    }
}
