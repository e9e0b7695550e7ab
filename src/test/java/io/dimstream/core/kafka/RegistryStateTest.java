package io.dimstream.core.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The serving decision over registry records (issue 16). */
class RegistryStateTest {

    private static ModelVersion rec(String name, int v, ModelStatus status) {
        return ModelVersion.newBuilder().setModelName(name).setVersion(v).setCreatedAt(Instant.EPOCH)
                .setFeaturizerVersion(2).setInputSpec("{}").setOutputSpec("{}")
                .setOnnx(ByteBuffer.wrap(new byte[] {(byte) v})).setSha256("sha" + v).setStatus(status).build();
    }

    private static Optional<Integer> choose(RegistryState s, int serving, Set<Integer> unusable) {
        return s.choose(serving, r -> !unusable.contains(r.getVersion())).map(ModelVersion::getVersion);
    }

    @Test
    void theLatestRecordOfAVersionDecidesItsStatus() {
        RegistryState s = new RegistryState("m");
        assertTrue(s.apply(rec("m", 5, ModelStatus.PROMOTED)));
        assertFalse(s.apply(rec("other", 9, ModelStatus.PROMOTED)), "other models are not followed");
        s.apply(rec("m", 6, ModelStatus.PROMOTED));
        s.apply(rec("m", 6, ModelStatus.RETIRED));
        assertTrue(s.isPromoted(5));
        assertFalse(s.isPromoted(6));
        assertEquals(6, s.maxVersion());
        assertEquals(2, s.size());
        assertEquals(1, s.promotedDescending().size());
    }

    @Test
    void choosesTheHighestUsablePromotedVersionAndNeverDowngradesSilently() {
        RegistryState s = new RegistryState("m");
        for (int v : new int[] {3, 4, 5}) {
            s.apply(rec("m", v, ModelStatus.PROMOTED));
        }
        s.apply(rec("m", 6, ModelStatus.CANDIDATE));
        assertEquals(Optional.of(5), choose(s, 0, Set.of()), "nothing serving: the highest PROMOTED");
        assertEquals(Optional.of(4), choose(s, 0, Set.of(5)), "v5 does not verify: the one below");
        assertEquals(Optional.of(5), choose(s, 5, Set.of()), "serving v5 is the choice: nothing higher");
        s.apply(rec("m", 8, ModelStatus.PROMOTED));
        assertEquals(Optional.of(8), choose(s, 5, Set.of()));
        assertEquals(Optional.of(5), choose(s, 5, Set.of(8)), "a bad newer version: the serving v5 stays the choice");
    }

    @Test
    void aWithdrawnServingVersionFallsToTheHighestPromotedBelowIt() {
        RegistryState s = new RegistryState("m");
        for (int v = 1; v <= 4; v++) {
            s.apply(rec("m", v, ModelStatus.PROMOTED));
        }
        assertEquals(2, s.promotedAbove(2).size());
        assertEquals(3, s.promotedAbove(2).get(0).getVersion());
        s.apply(rec("m", 4, ModelStatus.RETIRED));
        s.apply(rec("m", 3, ModelStatus.RETIRED));
        assertEquals(Optional.of(2), choose(s, 4, Set.of()));
        assertEquals(Optional.of(1), choose(s, 4, Set.of(2)));
        s.remove(2);
        assertEquals(Optional.of(1), choose(s, 2, Set.of()), "a deleted serving version is withdrawn too");
    }
}
