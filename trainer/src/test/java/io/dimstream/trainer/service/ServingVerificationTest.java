package io.dimstream.trainer.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.Sha256;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.ops.ModelVerifier;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The trainer takes "serving" only from registry records the streams apps would accept (issue 16). */
class ServingVerificationTest {

    private static ModelVersion record(int fv, String bytes, String sha) {
        byte[] b = bytes.getBytes(StandardCharsets.UTF_8);
        return ModelVersion.newBuilder().setModelName("sitenet-dim").setVersion(45).setCreatedAt(Instant.now())
                .setFeaturizerVersion(fv).setInputSpec("{}").setOutputSpec("{}").setOnnx(ByteBuffer.wrap(b))
                .setSha256(sha).setStatus(ModelStatus.PROMOTED).build();
    }

    @Test
    void onlyRecordsThatVerifyCountAsServing() {
        ModelVerifier v = ModelVerifier.unsigned(1 << 20);
        int fv = SiteNetFeaturizer.VERSION;
        assertEquals(Optional.empty(), TrainerService.unservable(record(fv, "onnx", Sha256.hex("onnx".getBytes())), v));
        Optional<String> badSha = TrainerService.unservable(record(fv, "onnx", "00".repeat(32)), v);
        assertTrue(badSha.isPresent() && badSha.get().startsWith("sha256"), badSha.toString());
        Optional<String> oldFv = TrainerService.unservable(record(fv - 1, "onnx", Sha256.hex("onnx".getBytes())), v);
        assertTrue(oldFv.isPresent() && oldFv.get().startsWith("featurizer_version"), oldFv.toString());
        Optional<String> big = TrainerService.unservable(record(fv, "x".repeat(2 << 20), "00"), v);
        assertTrue(big.isPresent(), big.toString());
    }
}
