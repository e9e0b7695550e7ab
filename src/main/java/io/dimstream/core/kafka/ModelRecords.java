package io.dimstream.core.kafka;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dimstream.core.Sha256;
import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.encoder.TensorSpec;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts between an encoder's {@link ModelMetadata} (the {@code model.json} of a model directory)
 * and the {@link ModelVersion} record published on {@code models.registry} / {@code models.history}.
 *
 * <p>{@code inputSpec} is JSON {@code {"featureDim":F,"inputs":[{"name","type","shape"}...]}};
 * {@code outputSpec} is JSON {@code {"embeddingDim":E,"localDim":L,"outputs":[...],"config":{...}}}.
 */
public final class ModelRecords {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelRecords() {
    }

    /**
     * The {@code models.registry} key of one version: {@code name@version}. Keyed per version, the
     * compacted topic keeps every version (compaction keeps the newest record per key), so a restarted
     * instance sees them all, not just whatever record came last.
     */
    public static String registryKey(String modelName, int version) {
        return modelName + "@" + version;
    }

    /**
     * The model name of a registry key: {@code name} of {@code name@version}, or the key itself (records
     * of releases before version keys were keyed by the model name alone).
     */
    public static String modelNameOfKey(String key) {
        int at = key.lastIndexOf('@');
        return at < 0 ? key : key.substring(0, at);
    }

    /** The registry record of a model whose ONNX bytes travel inline. */
    public static ModelVersion toRecord(ModelMetadata meta, byte[] onnx, Integer parentVersion, long corpusSize,
                                        ModelStatus status) {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("featureDim", meta.featureDim());
        in.put("inputs", meta.inputs());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("embeddingDim", meta.embeddingDim());
        out.put("localDim", meta.localDim());
        out.put("outputs", meta.outputs());
        out.put("config", meta.config());
        Instant created;
        try {
            created = meta.createdAt() == null ? Instant.now() : Instant.parse(meta.createdAt());
        } catch (RuntimeException e) {
            created = Instant.now();
        }
        try {
            return ModelVersion.newBuilder()
                    .setModelName(meta.name())
                    .setVersion(meta.version())
                    .setParentVersion(parentVersion)
                    .setCreatedAt(created)
                    .setFeaturizerVersion(meta.featurizerVersion())
                    .setInputSpec(JSON.writeValueAsString(in))
                    .setOutputSpec(JSON.writeValueAsString(out))
                    .setOnnx(ByteBuffer.wrap(onnx))
                    .setUri(null)
                    .setSha256(Sha256.hex(onnx))
                    .setCorpusSize(corpusSize)
                    .setMetrics(new LinkedHashMap<>(meta.metrics()))
                    .setStatus(status)
                    .build();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The metadata an encoder runtime needs, read back from a record.
     *
     * @throws IllegalArgumentException when the spec JSON is malformed
     */
    public static ModelMetadata metadata(ModelVersion mv) {
        try {
            JsonNode in = JSON.readTree(mv.getInputSpec());
            JsonNode out = JSON.readTree(mv.getOutputSpec());
            if (in == null || out == null || !in.has("inputs") || !out.has("outputs")) {
                throw new IllegalArgumentException("inputSpec/outputSpec lack 'inputs'/'outputs'");
            }
            List<TensorSpec> inputs = JSON.convertValue(in.get("inputs"), new TypeReference<List<TensorSpec>>() { });
            List<TensorSpec> outputs = JSON.convertValue(out.get("outputs"), new TypeReference<List<TensorSpec>>() { });
            Map<String, Object> config = out.has("config")
                    ? JSON.convertValue(out.get("config"), new TypeReference<Map<String, Object>>() { }) : Map.of();
            return new ModelMetadata(mv.getModelName(), mv.getVersion(), mv.getFeaturizerVersion(),
                    in.path("featureDim").asInt(0), out.path("embeddingDim").asInt(0), out.path("localDim").asInt(0),
                    inputs, outputs, new LinkedHashMap<>(mv.getMetrics()), mv.getSha256(),
                    mv.getCreatedAt() == null ? null : mv.getCreatedAt().toString(), config);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("model " + mv.getModelName() + " v" + mv.getVersion()
                    + ": bad input/output spec: " + e.getMessage(), e);
        }
    }
}
