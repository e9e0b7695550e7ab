package io.dimstream.predict;

import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.heads.HeldOutEvaluation;
import io.dimstream.schemas.Prediction;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Held-out MAE of the published predictions: reads {@code crystals.predictions} to its end, keeps per
 * (id, property) the prediction of the newest model version and head, and compares the held-out ids'
 * predictions (ids chosen by {@link HeldOutEvaluation#isTest}, the same split {@code ingest --labels
 * --holdout} withholds) with their true labels.
 */
public final class PredictionEvaluator {
    private PredictionEvaluator() {
    }

    /**
     * @param n          held-out structures with a prediction
     * @param mae        mean absolute error on them
     * @param modelVersion model version of those predictions (the newest seen)
     * @param headVersion  newest head version among them
     * @param labelsUsed   labels the head was fitted on
     * @param cvMae        the head's cross-validated MAE
     */
    public record PropertyScore(String property, int n, double mae, int modelVersion, int headVersion, int labelsUsed, double cvMae) {
    }

    /** Reads all predictions (latest per id/property: highest model version, then head version). */
    public static Map<String, Prediction> latestPredictions(Map<String, Object> clientProps, String topic) {
        Map<String, Object> c = new HashMap<>(clientProps);
        c.keySet().removeIf(k -> !ConsumerConfig.configNames().contains(k));
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        AvroSerde<Prediction> serde = AvroSerde.of(Prediction.class);
        Map<String, Prediction> latest = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(pi -> new TopicPartition(topic, pi.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        continue;
                    }
                    Prediction p = serde.fromBytes(r.value());
                    latest.merge(p.getId() + "/" + p.getProperty(), p, (a, b) ->
                            b.getModelVersion() > a.getModelVersion()
                                    || (b.getModelVersion() == a.getModelVersion() && b.getHeadVersion() >= a.getHeadVersion()) ? b : a);
                }
            }
        }
        return latest;
    }

    /**
     * Scores the held-out ids.
     *
     * @param truth    property → id → true value (all labels, held-out ones included)
     * @param fraction the held-out fraction used when loading labels
     */
    public static Map<String, PropertyScore> score(Map<String, Prediction> latest, Map<String, Map<String, Double>> truth, double fraction) {
        Map<String, PropertyScore> out = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, Double>> prop : truth.entrySet()) {
            int newestVersion = -1;
            for (Prediction p : latest.values()) {
                if (p.getProperty().equals(prop.getKey())) {
                    newestVersion = Math.max(newestVersion, p.getModelVersion());
                }
            }
            double abs = 0;
            int n = 0;
            int hv = -1;
            int used = 0;
            double cv = Double.NaN;
            for (Map.Entry<String, Double> t : prop.getValue().entrySet()) {
                if (!io.dimstream.core.HeldOutSplit.isHeldOut(t.getKey(), fraction)) {
                    continue;
                }
                Prediction p = latest.get(t.getKey() + "/" + prop.getKey());
                if (p == null || p.getModelVersion() != newestVersion) {
                    continue;
                }
                abs += Math.abs(p.getValue() - t.getValue());
                n++;
                if (p.getHeadVersion() > hv) {
                    hv = p.getHeadVersion();
                    used = p.getLabelsUsed();
                    cv = p.getCvMae();
                }
            }
            out.put(prop.getKey(), new PropertyScore(prop.getKey(), n, n == 0 ? Double.NaN : abs / n, newestVersion, hv, used, cv));
        }
        return out;
    }
}
