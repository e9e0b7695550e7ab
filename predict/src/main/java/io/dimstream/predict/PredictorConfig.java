package io.dimstream.predict;

import io.dimstream.core.kafka.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Predictor settings, from a properties file ({@code ./dimstream predict --config FILE}):
 *
 * <pre>
 * bootstrap.servers=127.0.0.1:9092
 * properties=band_gap,formation_energy_per_atom   # empty = every property that has labels
 * head=ridge                                        # ridge | mlp | rf | gbm | auto (lowest CV MAE of ridge, rf, gbm)
 * cv.folds=5
 * min.labels=20                                     # fewer labelled structures: no head yet
 * debounce.ms=2000                                  # refit this long after the last relevant change
 * max.delay.ms=30000                                # ... but at least this often while changes keep coming
 * topics.labels=crystals.labels                     # and the other topics.* keys of core's Topics
 * kafka.&lt;any client property&gt;=...                 # passed to the consumer and producer
 * </pre>
 */
public record PredictorConfig(Map<String, Object> kafka, Topics topics, List<String> properties, String head,
                              int cvFolds, int minLabels, long debounceMs, long maxDelayMs) {

    public PredictorConfig {
        kafka = Map.copyOf(kafka);
        properties = List.copyOf(properties);
        if (!List.of("ridge", "mlp", "rf", "gbm", "auto").contains(head)) {
            throw new IllegalArgumentException("head must be ridge, mlp, rf, gbm or auto, not '" + head + "'");
        }
        if (cvFolds < 2) {
            throw new IllegalArgumentException("cv.folds must be >= 2");
        }
        if (minLabels < 2) {
            throw new IllegalArgumentException("min.labels must be >= 2");
        }
    }

    public static PredictorConfig load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return from(p);
    }

    public static PredictorConfig from(Properties p) {
        Map<String, Object> kafka = new HashMap<>();
        Map<String, Object> topicKeys = new HashMap<>();
        for (String k : p.stringPropertyNames()) {
            String v = p.getProperty(k).trim();
            if (k.startsWith("kafka.")) {
                kafka.put(k.substring(6), v);
            } else if (k.startsWith("topics.")) {
                topicKeys.put(k, v);
            }
        }
        String bs = p.getProperty("bootstrap.servers");
        if (bs != null) {
            kafka.put("bootstrap.servers", bs.trim());
        }
        if (!kafka.containsKey("bootstrap.servers")) {
            throw new IllegalArgumentException("bootstrap.servers is not set");
        }
        String props = p.getProperty("properties", "").trim();
        List<String> list = props.isEmpty() ? List.of()
                : Arrays.stream(props.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        return new PredictorConfig(kafka, Topics.from(topicKeys), list, p.getProperty("head", "ridge").trim(),
                Integer.parseInt(p.getProperty("cv.folds", "5").trim()),
                Integer.parseInt(p.getProperty("min.labels", "20").trim()),
                Long.parseLong(p.getProperty("debounce.ms", "2000").trim()),
                Long.parseLong(p.getProperty("max.delay.ms", "30000").trim()));
    }
}
