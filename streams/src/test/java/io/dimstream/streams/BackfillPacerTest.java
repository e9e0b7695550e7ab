package io.dimstream.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The backfill pacing of one stream thread, on a simulated clock. */
class BackfillPacerTest {

    long now;

    BackfillPacer pacer(double share, long stepMs, long idleStepMs, int maxItems) {
        return new BackfillPacer(share, stepMs * 1_000_000L, idleStepMs * 1_000_000L, maxItems, () -> now);
    }

    /**
     * Simulates a stream thread for {@code seconds}: a punctuation every {@code tickMs}; when the pacer
     * allows, a backfill step of the items it asks for, each costing {@code itemMs}. Returns
     * {backfill nanos, longest step nanos}.
     */
    long[] simulate(BackfillPacer p, boolean live, double seconds, long tickMs, double itemMs) {
        long end = now + (long) (seconds * 1e9);
        long busy = 0;
        long longest = 0;
        while (now < end) {
            if (live) {
                p.live();
            }
            if (p.mayStep()) {
                int items = p.itemsForStep();
                p.stepStarted();
                long took = (long) (items * itemMs * 1e6);
                now += took;
                p.stepDone(items);
                busy += took;
                longest = Math.max(longest, took);
            }
            now += tickMs * 1_000_000L; // live work and the wait for the next punctuation
        }
        return new long[] {busy, longest};
    }

    @Test
    void whileLiveRecordsFlowTheBackfillTakesAtMostItsShareOfTheThread() {
        BackfillPacer p = pacer(0.25, 40, 200, 256);
        long start = now;
        long[] r = simulate(p, true, 60, 5, 1.0);
        double share = (double) r[0] / (now - start);
        assertTrue(share <= 0.26, "share " + share);
        assertTrue(share >= 0.15, "but the backfill is not starved: " + share);
        assertTrue(r[1] <= 41_000_000L, "no step longer than the 40 ms target once the cost is known: " + r[1]);
    }

    @Test
    void aHalfShareAndSlowerItemsStillHoldTheBound() {
        BackfillPacer p = pacer(0.5, 50, 200, 256);
        long start = now;
        long[] r = simulate(p, true, 60, 2, 7.5); // 7.5 ms per item: 6 items per step
        double share = (double) r[0] / (now - start);
        assertTrue(share <= 0.51 && share >= 0.35, "share " + share);
        assertEquals(6, p.itemsForStep());
    }

    @Test
    void anIdleThreadRunsTheBackfillBackToBackWithLongerSteps() {
        BackfillPacer p = pacer(0.25, 40, 200, 256);
        long start = now;
        long[] r = simulate(p, false, 30, 1, 1.0);
        double share = (double) r[0] / (now - start);
        assertTrue(share > 0.9, "idle: no share limit, " + share);
        assertEquals(200, p.itemsForStep(), "idle steps fill the punctuation period (200 ms at 1 ms per item)");
        p.live();
        assertEquals(40, p.itemsForStep(), "a live record brings the step back to 40 ms");
    }

    @Test
    void liveModeEndsOneSecondAfterTheLastLiveRecord() {
        BackfillPacer p = pacer(0.5, 50, 200, 256);
        assertFalse(p.liveRecently());
        p.live();
        assertTrue(p.liveRecently());
        now += 999_000_000L;
        assertTrue(p.liveRecently());
        now += 2_000_000L;
        assertFalse(p.liveRecently());
    }

    @Test
    void theFirstStepIsSmallAndTheStepFollowsTheMeasuredCost() {
        BackfillPacer p = pacer(0.5, 50, 200, 256);
        p.live();
        assertEquals(8, p.itemsForStep());
        p.stepStarted();
        now += 80_000_000L; // 10 ms per item
        p.stepDone(8);
        assertEquals(5, p.itemsForStep());
        assertTrue(p.credit() < 0, "80 ms of backfill leaves the thread in debt");
        assertFalse(p.mayStep());
        now += 200_000_000L; // credit grows at the share: 0.5 x 200 ms pays 55 ms of debt
        assertTrue(p.mayStep());
    }
}
