package io.dimstream.core.ops;

import io.dimstream.core.Sha256;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelVerifierTest {

    private static final KeyPair KEYS = ModelSigning.generate();
    private static final KeyPair OTHER = ModelSigning.generate();

    private static byte[] model(int n) {
        byte[] b = new byte[n];
        new Random(42).nextBytes(b);
        return b;
    }

    private static String reason(ModelVerifier v, byte[] onnx, String sha, byte[] sig) {
        return assertThrows(ModelVerificationException.class, () -> v.verify(onnx, sha, sig)).reason();
    }

    @Test
    void sha256AndSizeCap() {
        byte[] onnx = model(4096);
        String sha = Sha256.hex(onnx);
        ModelVerifier v = ModelVerifier.unsigned(10_000);
        assertDoesNotThrow(() -> v.verify(onnx, sha, null));
        assertDoesNotThrow(() -> v.verify(onnx, sha.toUpperCase(), null));

        byte[] tampered = onnx.clone();
        tampered[2000] ^= 1;
        assertEquals("sha256_mismatch", reason(v, tampered, sha, null));
        assertEquals("sha256_missing", reason(v, onnx, "", null));
        assertEquals("too_large", reason(ModelVerifier.unsigned(4095), onnx, sha, null));
        var e = assertThrows(ModelVerificationException.class, () -> v.checkSize(10_001));
        assertEquals("model.too_large", e.code());
        assertTrue(e.getMessage().contains("10001 bytes, cap is 10000"), e.getMessage());
    }

    @Test
    void signatures() {
        byte[] onnx = model(2048);
        String sha = Sha256.hex(onnx);
        byte[] good = ModelSigning.sign(KEYS.getPrivate(), onnx);
        ModelVerifier v = new ModelVerifier(1 << 20, KEYS.getPublic(), true);
        assertTrue(v.checksSignatures());
        assertDoesNotThrow(() -> v.verify(onnx, sha, good));

        // forged: signed with another key
        byte[] forged = ModelSigning.sign(OTHER.getPrivate(), onnx);
        assertEquals("signature_invalid", reason(v, onnx, sha, forged));
        // a valid signature of other bytes, whose sha256 an attacker declared consistently
        byte[] evil = model(2047);
        assertEquals("signature_invalid", reason(v, evil, Sha256.hex(evil), good));
        // a flipped signature bit
        byte[] flipped = good.clone();
        flipped[10] ^= 0x40;
        assertEquals("signature_invalid", reason(v, onnx, sha, flipped));
        assertEquals("signature_malformed", reason(v, onnx, sha, new byte[12]));
        assertEquals("signature_missing", reason(v, onnx, sha, null));
        // sha256 is checked before the signature
        byte[] tampered = onnx.clone();
        tampered[0] ^= 1;
        assertEquals("sha256_mismatch", reason(v, tampered, sha, good));

        ModelVerifier optional = new ModelVerifier(1 << 20, KEYS.getPublic(), false);
        assertDoesNotThrow(() -> optional.verify(onnx, sha, null));
        assertEquals("signature_invalid", reason(optional, onnx, sha, forged));
        assertFalse(ModelVerifier.unsigned(1 << 20).checksSignatures());
        assertDoesNotThrow(() -> ModelVerifier.unsigned(1 << 20).verify(onnx, sha, forged), "no key: signature ignored");
    }

    @Test
    void registryRecords() {
        byte[] onnx = model(1000);
        ModelVersion rec = ModelVersion.newBuilder().setModelName("sitenet-dim").setVersion(2).setCreatedAt(java.time.Instant.now())
                .setFeaturizerVersion(1).setInputSpec("{}").setOutputSpec("{}").setOnnx(ByteBuffer.wrap(onnx))
                .setSha256(Sha256.hex(onnx)).setSignature(ByteBuffer.wrap(ModelSigning.sign(KEYS.getPrivate(), onnx)))
                .setStatus(ModelStatus.PROMOTED).build();
        ModelVerifier v = new ModelVerifier(1 << 20, KEYS.getPublic(), true);
        assertDoesNotThrow(() -> v.verify(rec, onnx));
        ModelVersion unsigned = ModelVersion.newBuilder(rec).setSignature(null).build();
        assertEquals("signature_missing", assertThrows(ModelVerificationException.class, () -> v.verify(unsigned, onnx)).reason());
        assertDoesNotThrow(() -> v.verify(ModelSigning.signRecord(unsigned, KEYS.getPrivate()), onnx));
        assertEquals("signature_invalid", assertThrows(ModelVerificationException.class,
                () -> v.verify(ModelSigning.signRecord(unsigned, OTHER.getPrivate()), onnx)).reason());
        ModelVersion forged = ModelVersion.newBuilder(rec)
                .setSignature(ByteBuffer.wrap(ModelSigning.sign(OTHER.getPrivate(), onnx))).build();
        assertEquals("signature_invalid", assertThrows(ModelVerificationException.class, () -> v.verify(forged, onnx)).reason());
    }

    @Test
    void keysAsPemAndBase64(@TempDir Path dir) throws Exception {
        String pub = ModelSigning.publicKeyPem(KEYS.getPublic());
        assertTrue(pub.startsWith("-----BEGIN PUBLIC KEY-----\n"), pub);
        assertEquals(KEYS.getPublic(), ModelSigning.parsePublicKey(pub));
        assertEquals(KEYS.getPublic(), ModelSigning.parsePublicKey(ModelSigning.publicKeyBase64(KEYS.getPublic())));
        assertEquals(KEYS.getPrivate(), ModelSigning.parsePrivateKey(ModelSigning.privateKeyPem(KEYS.getPrivate())));
        var wrongType = assertThrows(IllegalArgumentException.class,
                () -> ModelSigning.parsePublicKey(ModelSigning.privateKeyPem(KEYS.getPrivate())));
        assertTrue(wrongType.getMessage().contains("expected a PEM PUBLIC KEY, found PRIVATE KEY"), wrongType.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelSigning.parsePublicKey("not base64 !!"));

        byte[] onnx = model(300);
        String sha = Sha256.hex(onnx);
        byte[] forged = ModelSigning.sign(OTHER.getPrivate(), onnx);
        Path pem = dir.resolve("model-signing.pub");
        Files.writeString(pem, pub);
        ModelVerifier fromFile = ModelVerifier.fromConfig(Map.of("model.signing.public.key.file", pem.toString(),
                "model.max.bytes", "1000"));
        assertTrue(fromFile.checksSignatures());
        assertEquals(1000, fromFile.maxBytes());
        assertEquals("signature_invalid", reason(fromFile, onnx, sha, forged));
        ModelVerifier inline = ModelVerifier.fromConfig(Map.of("model.signing.public.key",
                ModelSigning.publicKeyBase64(KEYS.getPublic()), "model.signature.required", "true"));
        assertEquals("signature_missing", reason(inline, onnx, sha, null));
        assertDoesNotThrow(() -> inline.verify(onnx, sha, ModelSigning.sign(KEYS.getPrivate(), onnx)));
        ModelVerifier none = ModelVerifier.fromConfig(Map.of());
        assertFalse(none.checksSignatures());
        assertEquals(ModelVerifier.DEFAULT_MAX_BYTES, none.maxBytes());
        var bad = assertThrows(IllegalArgumentException.class,
                () -> ModelVerifier.fromConfig(Map.of("model.signing.public.key", "AAAA")));
        assertTrue(bad.getMessage().startsWith("model.signing.public.key: "), bad.getMessage());

        Path sig = dir.resolve(ModelSigning.SIGNATURE_FILE);
        byte[] s = ModelSigning.sign(KEYS.getPrivate(), onnx);
        ModelSigning.writeSignature(sig, s);
        assertTrue(ModelSigning.verify(KEYS.getPublic(), onnx, ModelSigning.readSignature(sig)));
    }
}
