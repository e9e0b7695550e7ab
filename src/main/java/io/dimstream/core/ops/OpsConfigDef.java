package io.dimstream.core.ops;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * The ops settings every service understands, for a service's Kafka {@link ConfigDef}: defining them
 * documents them and keeps them out of the Kafka client pass-through. Keys a service already
 * defines (e.g. {@code model.max.bytes}) are left as they are.
 */
public final class OpsConfigDef {

    /** Ed25519 private key (PKCS#8 PEM file) a publisher signs model records with. */
    public static final String SIGNING_PRIVATE_KEY_FILE = "model.signing.private.key.file";

    private OpsConfigDef() {
    }

    /** Adds the ops keys to {@code d} (ops port 9464); returns {@code d}. */
    public static ConfigDef addTo(ConfigDef d) {
        return addTo(d, OpsConfig.DEFAULT_PORT);
    }

    /** Adds the ops keys to {@code d} with the service's default ops port; returns {@code d}. */
    public static ConfigDef addTo(ConfigDef d, int defaultPort) {
        define(d, OpsConfig.PORT, Type.INT, defaultPort, Importance.MEDIUM,
                "Port of the ops endpoint (/metrics, /health, /ready); 0 = any free port, -1 = none.");
        define(d, OpsConfig.BIND_ADDRESS, Type.STRING, OpsConfig.DEFAULT_BIND_ADDRESS, Importance.MEDIUM,
                "Interface the ops endpoint binds (0.0.0.0 only inside a container).");
        define(d, ModelVerifier.MAX_BYTES, Type.LONG, ModelVerifier.DEFAULT_MAX_BYTES, Importance.MEDIUM,
                "Largest model accepted; bigger records are refused before loading.");
        define(d, ModelVerifier.PUBLIC_KEY, Type.STRING, null, Importance.MEDIUM,
                "Ed25519 public key (PEM text or base64 X.509) model records must be signed with; empty = no signature check.");
        define(d, ModelVerifier.PUBLIC_KEY_FILE, Type.STRING, null, Importance.MEDIUM,
                "The same, from a PEM file.");
        define(d, ModelVerifier.SIGNATURE_REQUIRED, Type.BOOLEAN, true, Importance.LOW,
                "With a public key: refuse unsigned model records (false = check signatures only when present).");
        define(d, SIGNING_PRIVATE_KEY_FILE, Type.STRING, null, Importance.LOW,
                "Publishers: Ed25519 private key (PKCS#8 PEM) to sign the model records they publish.");
        return d;
    }

    private static void define(ConfigDef d, String name, Type type, Object dflt, Importance imp, String doc) {
        if (!d.names().contains(name)) {
            d.define(name, type, dflt, imp, doc);
        }
    }
}
