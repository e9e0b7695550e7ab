package io.dimstream.core.encoder;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code model.json} next to a {@code model.onnx}: identity, featurizer version, dimensions, the
 * declared input/output signature, training metrics, and the sha256 of the ONNX bytes.
 *
 * @param name              model name, e.g. {@code sitenet-dim}
 * @param version           model version (monotonic per name)
 * @param featurizerVersion featurizer version of the training inputs; other inputs are refused
 * @param featureDim        F, site features per site
 * @param embeddingDim      crystal embedding length (64)
 * @param localDim          local site vector length (32)
 * @param inputs            ONNX graph inputs, in order
 * @param outputs           ONNX graph outputs, in order
 * @param metrics           named numbers (validation losses, steps, structures seen...)
 * @param onnxSha256        lowercase hex sha256 of model.onnx
 * @param createdAt         ISO-8601 instant
 * @param config            the training/architecture configuration, free-form
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelMetadata(
        String name,
        int version,
        int featurizerVersion,
        int featureDim,
        int embeddingDim,
        int localDim,
        List<TensorSpec> inputs,
        List<TensorSpec> outputs,
        Map<String, Double> metrics,
        String onnxSha256,
        String createdAt,
        Map<String, Object> config) {

    public static final String FILE_NAME = "model.json";
    public static final String ONNX_FILE_NAME = "model.onnx";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ModelMetadata {
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        metrics = metrics == null ? Map.of() : new LinkedHashMap<>(metrics);
        config = config == null ? Map.of() : new LinkedHashMap<>(config);
    }

    /** The input/output signature this runtime (and the exporter) use. */
    public static final List<TensorSpec> STANDARD_INPUTS = List.of(
            new TensorSpec("site_features", "float32", List.of("B", "S", "F")),
            new TensorSpec("distances", "float32", List.of("B", "S", "J")),
            new TensorSpec("image_of", "int64", List.of("B", "R", "J")),
            new TensorSpec("site_mask", "float32", List.of("B", "S")),
            new TensorSpec("atom_mask", "float32", List.of("B", "J")));

    public static final List<TensorSpec> STANDARD_OUTPUTS = List.of(
            new TensorSpec("embedding", "float32", List.of("B", "E")),
            new TensorSpec("local", "float32", List.of("B", "S", "L")));

    public ModelMetadata withOnnxSha256(String sha) {
        return new ModelMetadata(name, version, featurizerVersion, featureDim, embeddingDim, localDim, inputs, outputs,
                metrics, sha, createdAt, config);
    }

    public ModelMetadata withMetrics(Map<String, Double> m) {
        return new ModelMetadata(name, version, featurizerVersion, featureDim, embeddingDim, localDim, inputs, outputs,
                m, onnxSha256, createdAt, config);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ModelMetadata fromJson(String json) {
        try {
            return JSON.readValue(json, ModelMetadata.class);
        } catch (IOException e) {
            throw new EncoderException(EncoderException.BAD_MODEL, "model.json is not valid: " + firstLine(e.getMessage()), e);
        }
    }

    public static ModelMetadata read(Path file) {
        try {
            return fromJson(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new EncoderException(EncoderException.BAD_MODEL, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public void write(Path file) throws IOException {
        Files.writeString(file, toJson(), StandardCharsets.UTF_8);
    }


    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
