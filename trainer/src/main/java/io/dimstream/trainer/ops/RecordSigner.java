package io.dimstream.trainer.ops;

import io.dimstream.core.ops.ModelSigning;
import io.dimstream.core.ops.OpsConfigDef;
import io.dimstream.schemas.ModelVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signs the model records a publisher sends when {@code model.signing.private.key.file} names an
 * Ed25519 private key (PKCS#8 PEM, from {@code dimstream keys generate}); without it records go
 * out unsigned.
 */
public final class RecordSigner {

    private static final Map<Path, PrivateKey> KEYS = new ConcurrentHashMap<>();

    private RecordSigner() {
    }

    public static ModelVersion signIfConfigured(ModelVersion record, Map<String, ?> config) {
        Object file = config.get(OpsConfigDef.SIGNING_PRIVATE_KEY_FILE);
        if (file == null || file.toString().isBlank() || record.getOnnx() == null) {
            return record;
        }
        Path p = Path.of(file.toString().trim());
        PrivateKey key = KEYS.computeIfAbsent(p, f -> {
            try {
                return ModelSigning.readPrivateKey(f);
            } catch (IOException e) {
                throw new UncheckedIOException(OpsConfigDef.SIGNING_PRIVATE_KEY_FILE + ": cannot read " + f + ": "
                        + e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(OpsConfigDef.SIGNING_PRIVATE_KEY_FILE + " " + f + ": " + e.getMessage());
            }
        });
        return ModelSigning.signRecord(record, key);
    }
}
