package io.dimstream.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** /health reflects a lost broker connection after the grace period (issue 16). */
class KafkaConnectionLivenessTest {

    @Test
    void downOnlyAfterTheGracePeriodOfContinuousFailure() {
        AtomicReference<CheckResult> cluster = new AtomicReference<>(CheckResult.up("cluster x, 1 broker(s)"));
        AtomicLong now = new AtomicLong(0);
        HealthCheck live = KafkaOps.connectionLiveness(cluster::get, Duration.ofSeconds(60), now::get);
        assertEquals(CheckResult.State.UP, live.check().state());

        cluster.set(CheckResult.down("no answer from Kafka within 3000 ms"));
        now.set(Duration.ofSeconds(10).toNanos());
        CheckResult early = live.check();
        assertEquals(CheckResult.State.UP, early.state(), "a short outage stays within the grace period");
        now.set(Duration.ofSeconds(50).toNanos());
        assertTrue(live.check().detail().startsWith("Kafka unreachable for 40 s (grace 60 s)"), live.check().detail());
        now.set(Duration.ofSeconds(71).toNanos());
        CheckResult down = live.check();
        assertEquals(CheckResult.State.DOWN, down.state());
        assertTrue(down.detail().contains("Kafka unreachable for 61 s") && down.detail().contains("no answer from Kafka"),
                down.detail());

        // back: UP again at once, and a new outage starts its own grace period
        cluster.set(CheckResult.up("cluster x, 1 broker(s)"));
        now.set(Duration.ofSeconds(80).toNanos());
        assertEquals(CheckResult.State.UP, live.check().state());
        cluster.set(CheckResult.down("gone"));
        now.set(Duration.ofSeconds(100).toNanos());
        assertEquals(CheckResult.State.UP, live.check().state());
        now.set(Duration.ofSeconds(161).toNanos());
        assertEquals(CheckResult.State.DOWN, live.check().state());
    }

    @Test
    void everyServiceHasTheLivenessCheck() {
        HealthChecks checks = new HealthChecks();
        try (ServiceOps ops = new ServiceOps("test", java.util.Map.of("bootstrap.servers", "127.0.0.1:1"), "t") {
        }) {
            assertTrue(ops.checks().live().checks().containsKey("kafka-connection"), ops.checks().live().toString());
        }
        assertEquals(CheckResult.State.UP, checks.live().state());
    }
}
