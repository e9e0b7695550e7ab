package io.dimstream.trainer.service;

import io.dimstream.core.encoder.ModelMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A trained encoder version as the trainer service keeps it: the ONNX export with its metadata, plus
 * the trainer's own opaque state (weights, optimizer) used to warm-start the next version.
 */
public record TrainedModel(ModelMetadata metadata, byte[] onnx, byte[] state) {

    /** Same name as the DIM trainer's checkpoint, so {@code models/vN/} is a regular model directory. */
    static final String STATE_FILE = "checkpoint.bin";

    public int version() {
        return metadata.version();
    }

    /** Writes {@code dir/model.onnx}, {@code dir/model.json} and the state file. */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempDirectory(dir.getParent(), ".tmp-model");
        Files.write(tmp.resolve(ModelMetadata.ONNX_FILE_NAME), onnx);
        Files.writeString(tmp.resolve(ModelMetadata.FILE_NAME), metadata.toJson());
        if (state != null) {
            Files.write(tmp.resolve(STATE_FILE), state);
        }
        try (var s = Files.list(tmp)) {
            for (Path p : s.toList()) {
                Files.move(p, dir.resolve(p.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.deleteIfExists(tmp);
    }

    /** Reads a directory written by {@link #save}, if complete. */
    public static Optional<TrainedModel> load(Path dir) throws IOException {
        Path onnx = dir.resolve(ModelMetadata.ONNX_FILE_NAME);
        Path json = dir.resolve(ModelMetadata.FILE_NAME);
        if (!Files.isRegularFile(onnx) || !Files.isRegularFile(json)) {
            return Optional.empty();
        }
        Path st = dir.resolve(STATE_FILE);
        return Optional.of(new TrainedModel(ModelMetadata.read(json), Files.readAllBytes(onnx),
                Files.isRegularFile(st) ? Files.readAllBytes(st) : null));
    }
}
