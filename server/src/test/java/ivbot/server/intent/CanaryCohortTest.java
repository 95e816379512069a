package ivbot.server.intent;

import ivbot.inference.batch.InferenceAgent;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Who is in the canary cohort: a stable hash of the token's {@code sub} below the share, or a {@code canary}
 * claim. Over 10,000 users the cohort's share is within 2 points of the setting, a user's answer never changes
 * (so all of a conversation's turns go to one cohort), and a tester's claim always counts.
 */
class CanaryCohortTest
{
    private static CanaryController controller(final double share)
    {
        final CanaryController.Settings settings = new CanaryController.Settings();
        settings.share = share;
        return new CanaryController(settings, new InferenceAgent(16, 4, 0), System::currentTimeMillis,
            new CanaryController.Listener()
            {
                @Override
                public void promoted(final String version)
                {
                }

                @Override
                public void rolledBack(final String version, final String reason)
                {
                }
            });
    }

    @Test
    void shouldPutTheSettingsShareOfTenThousandUsersInTheCanaryCohortWithinTwoPoints()
    {
        for (final double share : new double[] {0.01, 0.05, 0.2, 0.5})
        {
            final CanaryController canary = controller(share);
            int inCohort = 0;
            for (int user = 0; user < 10_000; user++)
            {
                inCohort += canary.inCanaryCohort("user-" + user, false) ? 1 : 0;
            }
            final double measured = inCohort / 10_000.0;
            assertTrue(Math.abs(measured - share) <= 0.02, "share " + share + ": measured " + measured);
        }
    }

    @Test
    void shouldKeepEachUserInOneCohortAndAlwaysCountATestersClaim()
    {
        final CanaryController a = controller(0.3);
        final CanaryController b = controller(0.3);
        for (int user = 0; user < 1_000; user++)
        {
            final String subject = "u" + user + "@example.com";
            assertEquals(a.inCanaryCohort(subject, false), a.inCanaryCohort(subject, false), subject);
            assertEquals(a.inCanaryCohort(subject, false), b.inCanaryCohort(subject, false),
                "the cohort is a function of the subject alone (every server agrees): " + subject);
            assertTrue(controller(0.0).inCanaryCohort(subject, true), "a canary claim counts at share 0");
            assertFalse(controller(0.0).inCanaryCohort(subject, false));
            assertTrue(controller(1.0).inCanaryCohort(subject, false));
        }
    }

    @Test
    void shouldRefuseASettingOutsideItsRangeNamingIt()
    {
        final CanaryController.Settings settings = new CanaryController.Settings();
        settings.share = 1.5;
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, settings::check);
        assertTrue(ex.getMessage().contains("--canary-share=1.5"), ex.getMessage());
        final CanaryController.Settings ratio = new CanaryController.Settings();
        ratio.maxP99Ratio = 0.5;
        assertTrue(assertThrows(IllegalArgumentException.class, ratio::check).getMessage().contains("--canary-max-p99-ratio"));
    }
}
