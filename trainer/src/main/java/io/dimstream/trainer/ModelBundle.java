package io.dimstream.trainer;

import io.dimstream.core.Sha256;
import io.dimstream.core.encoder.EncoderException;
import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.ops.ModelVerificationException;
import io.dimstream.core.ops.ModelVerifier;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.onnx.OnnxExporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model directory: {@code model.onnx} (inference graph), {@code model.json} ({@link ModelMetadata}:
 * name, version, featurizer version, dims, input/output signature, metrics, sha256 of model.onnx) and
 * {@code checkpoint.bin} (the full training state; warm starts and resumes read it).
 */
public final class ModelBundle {
    public static final String DEFAULT_NAME = "sitenet-dim";

    private final ModelMetadata metadata;
    private final byte[] onnx;
    private final Checkpoint checkpoint;

    private ModelBundle(ModelMetadata metadata, byte[] onnx, Checkpoint checkpoint) {
        this.metadata = metadata;
        this.onnx = onnx;
        this.checkpoint = checkpoint;
    }

    /** Exports the ONNX graph of the trained weights and assembles the metadata. */
    public static ModelBundle create(String name, int version, TrainResult result, TrainConfig config) {
        return create(name, version, result, config, null);
    }

    /**
     * As {@link #create(String, int, TrainResult, TrainConfig)}, keeping {@code trainingState} (the
     * trainer's own checkpoint, with optimizer moments) as the bundle's checkpoint when given.
     */
    public static ModelBundle create(String name, int version, TrainResult result, TrainConfig config,
            Checkpoint trainingState) {
        Map<String, Double> metrics = new LinkedHashMap<>(result.validation());
        metrics.put("train_steps", (double) result.steps());
        metrics.put("train_structures_seen", (double) result.structuresSeen());
        metrics.put("train_structures_per_second", result.structuresPerSecond());
        result.initialValidation().forEach((k, v) -> metrics.put("initial_" + k, v));
        Checkpoint ck = trainingState != null ? trainingState : new Checkpoint(result.arch(),
                result.featurizerVersion(), config.seed(), result.history().size(), 0, result.steps(),
                result.structuresSeen(), result.weights(), Map.of());
        return create(name, version, result.featurizerVersion(), result.arch(), result.weights(), metrics,
                config.toMap(), ck);
    }

    public static ModelBundle create(String name, int version, int featurizerVersion, SiteNetConfig arch,
            Map<String, Params.Tensor> weights, Map<String, Double> metrics, Map<String, Object> config,
            Checkpoint checkpoint) {
        byte[] onnx = OnnxExporter.export(arch, weights, name, version);
        ModelMetadata meta = new ModelMetadata(name, version, featurizerVersion, arch.featureDim(),
                arch.embeddingDim(), arch.localDim(), OnnxExporter.inputs(arch), OnnxExporter.outputs(arch), metrics,
                Sha256.hex(onnx), Instant.now().toString(), config);
        return new ModelBundle(meta, onnx, checkpoint);
    }

    /**
     * The same model re-exported for this build's featurizer version and graph: the checkpoint's weights
     * unchanged, model.onnx rebuilt (image_of [B,R,J]), featurizerVersion set to
     * {@link io.dimstream.core.featurize.SiteNetFeaturizer#VERSION}, name, version, metrics and config kept.
     * Only for models whose weights are compatible ({@code SiteNetFeaturizer.weightsCompatible}).
     *
     * @throws IllegalArgumentException when the model has no checkpoint or incompatible weights
     */
    public static ModelBundle upgrade(ModelBundle old) {
        int to = io.dimstream.core.featurize.SiteNetFeaturizer.VERSION;
        int from = old.metadata.featurizerVersion();
        if (old.checkpoint == null) {
            throw new IllegalArgumentException("model " + old.metadata.name() + " v" + old.metadata.version()
                    + " has no " + Checkpoint.FILE_NAME + ": its weights cannot be re-exported");
        }
        if (!io.dimstream.core.featurize.SiteNetFeaturizer.weightsCompatible(from)) {
            throw new IllegalArgumentException("model " + old.metadata.name() + " v" + old.metadata.version()
                    + " was trained on featurizer v" + from + "; featurizer v" + to + " cannot reuse its weights");
        }
        Checkpoint c = old.checkpoint;
        Checkpoint ck = new Checkpoint(c.arch(), to, c.seed(), c.epoch(), c.batchInEpoch(), c.step(),
                c.structuresSeen(), c.weights(), c.optimizer(), c.run());
        return create(old.metadata.name(), old.metadata.version(), to, c.arch(), c.weights(), old.metadata.metrics(),
                old.metadata.config(), ck);
    }

    /** Writes model.onnx, checkpoint.bin and (last) model.json into {@code dir}. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(ModelMetadata.ONNX_FILE_NAME + ".tmp");
        Files.write(tmp, onnx);
        Files.move(tmp, dir.resolve(ModelMetadata.ONNX_FILE_NAME), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        if (checkpoint != null) {
            checkpoint.write(dir.resolve(Checkpoint.FILE_NAME));
        }
        metadata.write(dir.resolve(ModelMetadata.FILE_NAME));
    }

    /** Reads a model directory (checkpoint optional), verifying the ONNX checksum. */
    public static ModelBundle read(Path dir) throws IOException {
        ModelMetadata meta = ModelMetadata.read(dir.resolve(ModelMetadata.FILE_NAME));
        byte[] onnx = Files.readAllBytes(dir.resolve(ModelMetadata.ONNX_FILE_NAME));
        if (meta.onnxSha256() != null) {
            try {
                ModelVerifier.checkSha256(onnx, meta.onnxSha256());
            } catch (ModelVerificationException e) {
                throw new EncoderException(EncoderException.CHECKSUM_MISMATCH, dir + "/model.onnx does not match the "
                        + "sha256 in model.json: " + e.getMessage(), e);
            }
        }
        Path ck = dir.resolve(Checkpoint.FILE_NAME);
        return new ModelBundle(meta, onnx, Files.isRegularFile(ck) ? Checkpoint.read(ck) : null);
    }

    public ModelMetadata metadata() {
        return metadata;
    }

    public byte[] onnxBytes() {
        return onnx.clone();
    }

    /** The training state, or null when the directory has none. */
    public Checkpoint checkpoint() {
        return checkpoint;
    }

    public OnnxEncoder encoder(String device) {
        return OnnxEncoder.fromBytes(onnx, metadata, device);
    }
}
