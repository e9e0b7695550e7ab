package io.dimstream.predict;

import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.Topics;
import io.dimstream.heads.HeldOutEvaluation;
import io.dimstream.schemas.Label;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One call for a demo: publish the labels of all but a held-out fraction of the structures, run the
 * predictor until it has heads for every property on the current model version (at least
 * {@code minModelVersion}) and has published all predictions, then score the published predictions of the
 * held-out structures against their true labels.
 */
public final class HeldOutDemo {
    private HeldOutDemo() {
    }

    /** Scores per property, and the predictor's counters. */
    public record Outcome(Map<String, PredictionEvaluator.PropertyScore> scores, long labelsPublished, long fits,
                          long predictionsPublished, boolean settled) {
    }

    /**
     * @param kafka           client properties (bootstrap.servers, ...)
     * @param topicConfig     {@code topics.*} overrides (empty map = defaults)
     * @param truth           property → id → true value (e.g. the band_gap / formation_energy_per_atom columns)
     * @param holdout         fraction held out (stable id hash, {@link HeldOutEvaluation#isTest})
     * @param minModelVersion wait for predictions of at least this embedding model version
     * @param head            ridge | mlp
     */
    public static Outcome run(Map<String, Object> kafka, Map<String, String> topicConfig, Map<String, Map<String, Double>> truth,
                              double holdout, int minModelVersion, String head, Duration timeout) throws InterruptedException {
        Properties p = new Properties();
        kafka.forEach((k, v) -> p.setProperty("kafka." + k, String.valueOf(v)));
        p.setProperty("bootstrap.servers", String.valueOf(kafka.get("bootstrap.servers")));
        topicConfig.forEach(p::setProperty);
        p.setProperty("properties", String.join(",", truth.keySet()));
        p.setProperty("head", head);
        p.setProperty("min.labels", "20");
        p.setProperty("debounce.ms", "500");
        PredictorConfig cfg = PredictorConfig.from(p);
        PredictorService.ensureTopics(cfg);
        long labels = 0;
        Map<String, Object> pp = new HashMap<>(kafka);
        pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.keySet().removeIf(k -> !ProducerConfig.configNames().contains(k));
        try (KafkaProducer<String, Label> producer = new KafkaProducer<>(pp, new StringSerializer(), AvroSerde.of(Label.class))) {
            for (Map.Entry<String, Map<String, Double>> prop : truth.entrySet()) {
                for (Map.Entry<String, Double> e : prop.getValue().entrySet()) {
                    if (!io.dimstream.core.HeldOutSplit.isHeldOut(e.getKey(), holdout)) {
                        producer.send(new ProducerRecord<>(cfg.topics().labels(), e.getKey() + "/" + prop.getKey(),
                                Label.newBuilder().setId(e.getKey()).setProperty(prop.getKey()).setValue(e.getValue()).setSource("demo").build()));
                        labels++;
                    }
                }
            }
            producer.flush();
        }
        PredictorService svc = new PredictorService(cfg);
        Thread t = new Thread(svc, "predictor");
        t.setDaemon(true);
        t.start();
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean settled = false;
        try {
            while (System.nanoTime() < deadline && t.isAlive()) {
                if (svc.settled(minModelVersion)) {
                    settled = true;
                    break;
                }
                Thread.sleep(100);
            }
        } finally {
            svc.stop();
            t.join(10_000);
        }
        Map<String, PredictionEvaluator.PropertyScore> scores = PredictionEvaluator.score(
                PredictionEvaluator.latestPredictions(kafka, cfg.topics().predictions()), truth, holdout);
        return new Outcome(scores, labels, svc.fits(), svc.published(), settled);
    }
}
