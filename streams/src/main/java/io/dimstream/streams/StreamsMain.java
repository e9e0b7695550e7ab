package io.dimstream.streams;

import io.dimstream.core.encoder.OnnxEncoder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the production streams app (CIF parser + Site-Net featurizer + ONNX Runtime encoder) until
 * SIGTERM/SIGINT, then closes it cleanly. Used by {@code ./dimstream streams} and as a plain main:
 * {@code StreamsMain <config.properties> [key=value ...]}.
 */
public final class StreamsMain {

    private static final Logger log = LoggerFactory.getLogger(StreamsMain.class);

    private StreamsMain() {
    }

    /** The production app for a config. */
    public static StreamsApp create(StreamsAppConfig cfg) {
        return create(cfg, List.of());
    }

    /** The production app with extra model checks (e.g. a signature check) run before any model loads. */
    public static StreamsApp create(StreamsAppConfig cfg, List<ModelManager.ModelCheck> extraChecks) {
        OnnxEncoder.Options opts = OnnxEncoder.Options.defaults()
                .withDevice(cfg.getString(StreamsAppConfig.ENCODER_DEVICE))
                .withThreads(cfg.getInt(StreamsAppConfig.ENCODER_THREADS))
                .withMaxBatch(Math.max(cfg.getInt(StreamsAppConfig.BATCH_SIZE), 1))
                .withPrecision(io.dimstream.core.encoder.Precision.parse(cfg.getString(StreamsAppConfig.ENCODER_PRECISION)));
        // the model manager runs core's ModelVerifier (size cap, sha256, featurizer version and, with
        // model.signing.public.key[.file], the Ed25519 signature) before these extra checks
        return new StreamsApp(cfg, new CifFeaturize(), new OnnxEncoderLoader(opts), extraChecks);
    }

    /** Starts the app and blocks until it stops; a shutdown hook closes it on SIGTERM. */
    public static int run(StreamsAppConfig cfg) throws InterruptedException {
        StreamsApp app = create(cfg);
        io.dimstream.streams.ops.StreamsOps ops = io.dimstream.streams.ops.StreamsOps.attach(app, cfg);
        Thread hook = new Thread(() -> {
            log.info("signal received: shutting down");
            app.close();
            ops.close();
        }, "dimstream-streams-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        app.start();
        app.awaitStop();
        ops.close();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
        return 0;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> overrides = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            overrides.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        System.exit(run(StreamsAppConfig.load(args.length > 0 ? Path.of(args[0]) : null, overrides)));
    }
}
