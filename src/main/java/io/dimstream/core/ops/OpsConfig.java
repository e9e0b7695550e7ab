package io.dimstream.core.ops;

import java.util.Map;

/**
 * Where a service's ops HTTP server listens. Config keys (the same in every service's properties
 * file): {@code metrics.port} (default {@value #DEFAULT_PORT} for the streams app, {@value #TRAINER_PORT}
 * for the trainer, {@value #PREDICTOR_PORT} for the predictor; {@code 0} = any free port; {@code -1} =
 * no server) and {@code metrics.bind.address} (default {@code 127.0.0.1}; {@code 0.0.0.0} inside a
 * container so the scraper can reach it).
 *
 * @param bindAddress interface to bind
 * @param port        TCP port, 0 for an ephemeral one, -1 to disable
 */
public record OpsConfig(String bindAddress, int port) {

    public static final String PORT = "metrics.port";
    public static final String BIND_ADDRESS = "metrics.bind.address";
    public static final int DEFAULT_PORT = 9464;
    public static final int TRAINER_PORT = 9465;
    public static final int PREDICTOR_PORT = 9466;
    public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";

    public OpsConfig {
        if (bindAddress == null || bindAddress.isBlank()) {
            bindAddress = DEFAULT_BIND_ADDRESS;
        }
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException(PORT + " must be -1 (off), 0 (any) or 1..65535, was " + port);
        }
    }

    public static OpsConfig defaults() {
        return new OpsConfig(DEFAULT_BIND_ADDRESS, DEFAULT_PORT);
    }

    /** Ephemeral port on 127.0.0.1 (tests, benchmarks). */
    public static OpsConfig ephemeral() {
        return new OpsConfig(DEFAULT_BIND_ADDRESS, 0);
    }

    public static OpsConfig disabled() {
        return new OpsConfig(DEFAULT_BIND_ADDRESS, -1);
    }

    /** Reads {@code metrics.port} / {@code metrics.bind.address} from a service's config map. */
    public static OpsConfig from(Map<?, ?> props) {
        return from(props, DEFAULT_PORT);
    }

    /** The same with a service-specific default port (trainer 9465, predictor 9466: one host, no clash). */
    public static OpsConfig from(Map<?, ?> props, int defaultPort) {
        Object p = props.get(PORT);
        Object a = props.get(BIND_ADDRESS);
        int port;
        try {
            port = p == null ? defaultPort : Integer.parseInt(p.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PORT + " is not a number: " + p);
        }
        return new OpsConfig(a == null ? DEFAULT_BIND_ADDRESS : a.toString().trim(), port);
    }

    public boolean enabled() {
        return port >= 0;
    }

    /** A copy with another port (e.g. from {@code --metrics-port}); {@code null} keeps this one. */
    public OpsConfig withPort(Integer newPort) {
        return newPort == null ? this : new OpsConfig(bindAddress, newPort);
    }
}
