package io.dimstream.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.trainer.model.SiteNetConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigTest {
    @Test
    void defaultsAreTheCompactSiteNetDimConfiguration() {
        TrainConfig c = TrainConfig.defaults();
        SiteNetConfig a = c.arch();
        assertEquals(9, a.featureDim());
        assertEquals(64, a.siteDim());
        assertEquals(64, a.interactionDim());
        assertEquals(64, a.pairHidden());
        assertEquals(32, a.localDim());
        assertEquals(List.of(64, 128), a.globalHidden());
        assertEquals(64, a.embeddingDim());
        assertEquals(64, a.criticHidden());
        assertEquals(128, a.criticDim());
        assertEquals(1e-4, c.learningRate());
        assertEquals(1e-4, c.weightDecay());
        assertTrue(c.amsgrad());
        assertEquals(1200, c.maxSitesPerBatch());
        assertEquals(1.0, c.weights().localDim());
        assertEquals(1.0, c.weights().globalDim());
        assertEquals(0.1, c.weights().klLocal());
        assertEquals(0.1, c.weights().klGlobal());
        assertEquals(a, SiteNetConfig.fromMap(a.toMap()));
    }

    @Test
    void budgetStopsAtTheFirstLimit() {
        assertThrows(IllegalArgumentException.class, () -> new Budget(0, null, 0, 0));
        Budget b = new Budget(3, Duration.ofMinutes(1), 100, 1000);
        assertFalse(b.exhausted(2, 99, 999, Duration.ofSeconds(59)));
        assertTrue(b.exhausted(3, 0, 0, Duration.ZERO));
        assertTrue(b.exhausted(0, 100, 0, Duration.ZERO));
        assertTrue(b.exhausted(0, 0, 1000, Duration.ZERO));
        assertTrue(b.exhausted(0, 0, 0, Duration.ofMinutes(1)));
        assertTrue(Budget.minutes(0.5).exhausted(0, 0, 0, Duration.ofSeconds(30)));
        assertFalse(Budget.epochs(1).exhausted(0, 1_000_000, 1_000_000, Duration.ofDays(1)));
    }
}
