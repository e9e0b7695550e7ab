package io.dimstream.trainer;

import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.trainer.model.SiteNetConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The shipped base model: a pretrained model directory at {@code <dimstream home>/models/base}
 * ({@code model.onnx}, {@code model.json}, {@code checkpoint.bin}, {@code card.json}, {@code MODEL_CARD.md},
 * {@code pretrain_ids.txt.gz}). {@code embed} uses it when no {@code --model} is given, and the trainer
 * service warm-starts its first version from it ({@link #select}).
 */
public final class BaseModel {
    /** Location of the base model relative to the dimstream home (the repository root). */
    public static final String RELATIVE_DIR = "models/base";
    /** Config value that switches the warm start off. */
    public static final String NONE = "none";

    private BaseModel() {}

    /** The dimstream home: system property {@code dimstream.home} (set by the launcher), else the working directory. */
    public static Path home() {
        return Path.of(System.getProperty("dimstream.home", "."));
    }

    /** {@code <home>/models/base}. */
    public static Path defaultDir() {
        return home().resolve(RELATIVE_DIR);
    }

    /** Whether {@code dir} holds a loadable model (model.onnx and model.json). */
    public static boolean present(Path dir) {
        return Files.isRegularFile(dir.resolve(ModelMetadata.ONNX_FILE_NAME))
                && Files.isRegularFile(dir.resolve(ModelMetadata.FILE_NAME));
    }

    /** Outcome of {@link #select}: the directory to warm-start from, or none, with the reason in one line. */
    public record Selection(Optional<Path> dir, String reason) {}

    /**
     * Chooses the warm start of a service's first model version.
     *
     * @param configured        the configured location ({@code none} or blank: off; relative paths resolve
     *                          against {@code home})
     * @param home              the dimstream home
     * @param featurizerVersion the featurizer version the service trains on
     * @param arch              the architecture the service trains (feature dim included)
     * @return the base model directory when it exists, has a checkpoint, and matches the featurizer version
     *         and architecture; otherwise empty, with the reason
     */
    public static Selection select(String configured, Path home, int featurizerVersion, SiteNetConfig arch) {
        String c = configured == null ? "" : configured.trim();
        if (c.isEmpty() || c.toLowerCase(Locale.ROOT).equals(NONE)) {
            return new Selection(Optional.empty(), "warm start from a base model is off");
        }
        Path dir = Path.of(c);
        if (!dir.isAbsolute()) {
            dir = home.resolve(dir);
        }
        dir = dir.normalize();
        if (!present(dir)) {
            return new Selection(Optional.empty(), "no base model at " + dir + ": starting from random weights");
        }
        Path ckpt = dir.resolve(Checkpoint.FILE_NAME);
        if (!Files.isRegularFile(ckpt)) {
            return new Selection(Optional.empty(), "base model " + dir + " has no " + Checkpoint.FILE_NAME
                    + " (weights to start from): starting from random weights");
        }
        try {
            ModelMetadata meta = ModelMetadata.read(dir.resolve(ModelMetadata.FILE_NAME));
            if (meta.featurizerVersion() != featurizerVersion) {
                return new Selection(Optional.empty(), "base model " + dir + " was trained on featurizer v"
                        + meta.featurizerVersion() + ", this build featurizes with v" + featurizerVersion
                        + ": starting from random weights");
            }
            Checkpoint ck = Checkpoint.read(ckpt);
            if (ck.featurizerVersion() != featurizerVersion) {
                return new Selection(Optional.empty(), "base model " + dir + "'s checkpoint is for featurizer v"
                        + ck.featurizerVersion() + ", this build featurizes with v" + featurizerVersion
                        + ": starting from random weights");
            }
            if (!ck.arch().equals(arch)) {
                return new Selection(Optional.empty(), "base model " + dir + " has another architecture ("
                        + ck.arch().toMap() + ") than this service trains (" + arch.toMap()
                        + "): starting from random weights");
            }
            return new Selection(Optional.of(dir), "warm-starting from base model " + meta.name() + " v"
                    + meta.version() + " at " + dir + " (step " + ck.step() + ")");
        } catch (IOException | RuntimeException e) {
            return new Selection(Optional.empty(), "base model " + dir + " cannot be read (" + e.getMessage()
                    + "): starting from random weights");
        }
    }
}
