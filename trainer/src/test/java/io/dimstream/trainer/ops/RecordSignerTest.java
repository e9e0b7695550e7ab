package io.dimstream.trainer.ops;

import io.dimstream.core.Sha256;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dimstream.core.ops.ModelSigning;
import io.dimstream.core.ops.ModelVerificationException;
import io.dimstream.core.ops.ModelVerifier;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordSignerTest {

    @Test
    void signsWithTheConfiguredKeyOnly(@TempDir Path dir) throws Exception {
        KeyPair kp = ModelSigning.generate();
        Path key = dir.resolve("k.key");
        Files.writeString(key, ModelSigning.privateKeyPem(kp.getPrivate()));
        byte[] onnx = "pretend onnx bytes".getBytes();
        ModelVersion mv = ModelVersion.newBuilder().setModelName("m").setVersion(3).setCreatedAt(Instant.now())
                .setFeaturizerVersion(1).setInputSpec("{}").setOutputSpec("{}").setOnnx(ByteBuffer.wrap(onnx))
                .setSha256(Sha256.hex(onnx)).setStatus(ModelStatus.PROMOTED).build();

        assertSame(mv, RecordSigner.signIfConfigured(mv, Map.of()), "no key configured: unchanged");
        assertNull(mv.getSignature());

        ModelVersion signed = RecordSigner.signIfConfigured(mv, Map.of("model.signing.private.key.file", key.toString()));
        assertEquals(64, signed.getSignature().remaining());
        ModelVerifier verifier = new ModelVerifier(1 << 20, kp.getPublic(), true);
        assertDoesNotThrow(() -> verifier.verify(signed, onnx));
        ModelVerifier other = new ModelVerifier(1 << 20, ModelSigning.generate().getPublic(), true);
        assertEquals("signature_invalid", assertThrows(ModelVerificationException.class, () -> other.verify(signed, onnx)).reason());

        var e = assertThrows(RuntimeException.class, () -> RecordSigner.signIfConfigured(mv,
                Map.of("model.signing.private.key.file", dir.resolve("missing.key").toString())));
        assertEquals(true, e.getMessage().startsWith("model.signing.private.key.file: cannot read "), e.getMessage());
    }
}
