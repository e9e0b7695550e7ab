package io.dimstream.core.ops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ed25519 keys and signatures for model records (JDK {@code Signature.getInstance("Ed25519")}). The
 * signature covers the ONNX bytes exactly (the ONNX graph itself carries the model version, so a
 * signed v3 cannot be replayed as v4 unnoticed by a loader that reads it). Keys travel as PEM:
 * {@code -----BEGIN PUBLIC KEY-----} (X.509 SubjectPublicKeyInfo) and {@code -----BEGIN PRIVATE
 * KEY-----} (PKCS#8); a public key may also be given as the bare base64 of its X.509 encoding.
 */
public final class ModelSigning {

    public static final String ALGORITHM = "Ed25519";
    /** File name of a detached signature next to {@code model.onnx} (base64, one line). */
    public static final String SIGNATURE_FILE = "model.onnx.sig";

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private ModelSigning() {
    }

    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no Ed25519", e);
        }
    }

    public static byte[] sign(PrivateKey key, byte[] data) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(data);
            return s.sign();
        } catch (InvalidKeyException e) {
            throw new IllegalArgumentException("not an Ed25519 private key: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when {@code signature} is a valid Ed25519 signature of {@code data} under {@code key}. */
    public static boolean verify(PublicKey key, byte[] data, byte[] signature) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(data);
            return s.verify(signature);
        } catch (SignatureException e) {
            return false; // malformed signature bytes
        } catch (InvalidKeyException e) {
            throw new IllegalArgumentException("not an Ed25519 public key: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String publicKeyPem(PublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    public static String privateKeyPem(PrivateKey key) {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    /** Bare base64 of the X.509 encoding (what {@code model.signing.public.key} takes). */
    public static String publicKeyBase64(PublicKey key) {
        return Base64.getEncoder().encodeToString(key.getEncoded());
    }

    private static String pem(String type, byte[] der) {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
    }

    /**
     * A public key from PEM text, or bare base64 of the X.509 encoding.
     *
     * @throws IllegalArgumentException with a one-line reason when it is neither
     */
    public static PublicKey parsePublicKey(String text) {
        byte[] der = der(text, "PUBLIC KEY");
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
        } catch (InvalidKeySpecException e) {
            throw new IllegalArgumentException("not an Ed25519 public key (X.509): " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static PrivateKey parsePrivateKey(String text) {
        byte[] der = der(text, "PRIVATE KEY");
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (InvalidKeySpecException e) {
            throw new IllegalArgumentException("not an Ed25519 private key (PKCS#8): " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static PublicKey readPublicKey(Path file) throws IOException {
        return parsePublicKey(Files.readString(file, StandardCharsets.US_ASCII));
    }

    public static PrivateKey readPrivateKey(Path file) throws IOException {
        return parsePrivateKey(Files.readString(file, StandardCharsets.US_ASCII));
    }

    private static byte[] der(String text, String expectedType) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty key");
        }
        Matcher m = PEM.matcher(text);
        String b64;
        if (m.find()) {
            if (!m.group(1).equals(expectedType)) {
                throw new IllegalArgumentException("expected a PEM " + expectedType + ", found " + m.group(1));
            }
            b64 = m.group(2);
        } else if (text.contains("-----BEGIN")) {
            throw new IllegalArgumentException("malformed PEM (no matching END line)");
        } else {
            b64 = text;
        }
        try {
            return Base64.getMimeDecoder().decode(b64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key is not valid base64: " + e.getMessage());
        }
    }

    /**
     * A copy of a registry record carrying the Ed25519 signature of its inline ONNX bytes (what a
     * publisher with {@code model.signing.private.key.file} does before sending it).
     *
     * @throws IllegalArgumentException when the record has no inline bytes (a uri model is signed
     *                                  where its bytes are written: {@code dimstream model sign})
     */
    public static io.dimstream.schemas.ModelVersion signRecord(io.dimstream.schemas.ModelVersion record, PrivateKey key) {
        java.nio.ByteBuffer onnx = record.getOnnx();
        if (onnx == null) {
            throw new IllegalArgumentException("model record v" + record.getVersion() + " has no inline ONNX bytes to sign");
        }
        java.nio.ByteBuffer d = onnx.duplicate();
        byte[] bytes = new byte[d.remaining()];
        d.get(bytes);
        return io.dimstream.schemas.ModelVersion.newBuilder(record)
                .setSignature(java.nio.ByteBuffer.wrap(sign(key, bytes))).build();
    }

    /** Reads a detached signature file (base64 text). */
    public static byte[] readSignature(Path file) throws IOException {
        String s = Files.readString(file, StandardCharsets.US_ASCII).strip();
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a base64 signature: " + e.getMessage());
        }
    }

    public static void writeSignature(Path file, byte[] signature) throws IOException {
        Files.writeString(file, Base64.getEncoder().encodeToString(signature) + "\n", StandardCharsets.US_ASCII);
    }
}
