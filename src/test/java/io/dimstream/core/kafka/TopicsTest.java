package io.dimstream.core.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void defaultsAndOverrides() {
        Topics d = Topics.defaults();
        assertEquals("crystals.raw", d.raw());
        assertEquals("models.registry", d.modelsRegistry());
        Topics t = Topics.from(Map.of(Topics.RAW_CONFIG, "x.raw", Topics.DLQ_CONFIG, "x.dlq"));
        assertEquals("x.raw", t.raw());
        assertEquals("x.dlq", t.dlq());
        assertEquals("crystals.features", t.features());
        assertThrows(IllegalArgumentException.class, () -> Topics.from(Map.of(Topics.RAW_CONFIG, "bad name")));
    }

    @Test
    void specsCarryPolicies() {
        var specs = Topics.defaults().specs(3);
        assertEquals(8, specs.size());
        var features = specs.stream().filter(s -> s.name().equals("crystals.features")).findFirst().orElseThrow();
        assertEquals("compact", features.cleanupPolicy());
        assertEquals(3, features.partitions());
        var reg = specs.stream().filter(s -> s.name().equals("models.registry")).findFirst().orElseThrow()
                .toNewTopic(Optional.empty());
        assertEquals("compact", reg.configs().get("cleanup.policy"));
        assertEquals(String.valueOf(Topics.MODEL_MAX_MESSAGE_BYTES), reg.configs().get("max.message.bytes"));
        assertEquals(1, reg.numPartitions());
    }
}
