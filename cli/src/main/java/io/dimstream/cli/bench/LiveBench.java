package io.dimstream.cli.bench;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.ModelRecords;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import io.dimstream.streams.CifFeaturize;
import io.dimstream.streams.StageException;
import io.dimstream.trainer.Budget;
import io.dimstream.trainer.DimTrainer;
import io.dimstream.trainer.ModelBundle;
import io.dimstream.trainer.TrainConfig;
import io.dimstream.trainer.TrainListener;
import io.dimstream.trainer.TrainResult;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the benchmarks that run the streams app against a live flow share ({@code bench failover},
 * {@code bench swaps}): the structures, the model, a producer, percentiles.
 */
final class LiveBench {

    static final String MODEL = "sitenet-dim";
    static final AvroSerde<CrystalSubmission> RAW = AvroSerde.of(CrystalSubmission.class);
    static final AvroSerde<ModelVersion> MODEL_SERDE = AvroSerde.of(ModelVersion.class);

    private LiveBench() {
    }

    record Sample(String id, String cif) {
    }

    /** The structures of {@code data}, or of the bundled demo sample (3,000 MP structures). */
    static List<Sample> samples(Path data) throws Exception {
        List<Sample> out = new ArrayList<>();
        Path src = data;
        Path tmp = null;
        if (src == null) {
            tmp = Files.createTempFile("dimstream-bench-", ".csv.gz");
            try (InputStream in = LiveBench.class.getResourceAsStream("/demo/mp-sample.csv.gz")) {
                if (in == null) {
                    throw new IllegalStateException("bundled demo/mp-sample.csv.gz not on the classpath; pass --data");
                }
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            src = tmp;
        }
        try (Stream<RawCif> s = CifInputs.read(src)) {
            for (RawCif r : (Iterable<RawCif>) s::iterator) {
                out.add(new Sample(r.id(), r.text()));
            }
        } finally {
            if (tmp != null) {
                Files.deleteIfExists(tmp);
            }
        }
        return out;
    }

    /**
     * The model to serve: {@code --model DIR}; else the repository's {@code models/base} when present
     * (under {@code dimstream.home}); else a model trained for {@code trainSteps} steps on 400 structures.
     */
    static ModelVersion model(Path modelDir, int trainSteps, List<Sample> samples) throws Exception {
        Path dir = modelDir;
        if (dir == null) {
            Path base = Path.of(System.getProperty("dimstream.home", "."), "models", "base");
            if (Files.exists(base.resolve("model.onnx")) && Files.exists(base.resolve("model.json"))) {
                dir = base;
            }
        }
        if (dir != null) {
            ModelBundle b = ModelBundle.read(dir);
            System.out.printf("model: %s (%s v%d, %d ONNX bytes)%n", dir, b.metadata().name(), b.metadata().version(),
                    b.onnxBytes().length);
            return ModelRecords.toRecord(b.metadata(), b.onnxBytes(), null, 0, ModelStatus.PROMOTED);
        }
        CifFeaturize f = new CifFeaturize();
        List<FeaturizedCrystal> train = new ArrayList<>();
        for (Sample s : samples.subList(0, Math.min(400, samples.size()))) {
            try {
                train.add(f.apply(CrystalSubmission.newBuilder().setId(s.id()).setSource("bench").setPayload(s.cif())
                        .setSubmittedAt(Instant.now()).build()));
            } catch (StageException e) {
                // skipped, as the streams app would dead-letter it
            }
        }
        TrainConfig tc = TrainConfig.defaults().withProgressBar(false);
        TrainResult res = new DimTrainer(tc).train(train, List.of(), Budget.steps(trainSteps), Optional.empty(),
                TrainListener.NONE);
        ModelBundle b = ModelBundle.create(MODEL, 1, res, tc);
        System.out.printf("model: trained %s v1 on %d structures, %d steps%n", MODEL, train.size(), res.steps());
        return ModelRecords.toRecord(b.metadata(), b.onnxBytes(), null, train.size(), ModelStatus.PROMOTED);
    }

    /** The same model record under another version (same ONNX bytes, so the same sha256). */
    static ModelVersion asVersion(ModelVersion m, int version) {
        return ModelVersion.newBuilder(m).setVersion(version).setParentVersion(m.getVersion())
                .setCreatedAt(Instant.now()).build();
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MODEL_MAX_MESSAGE_BYTES);
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /** A raw submission of {@code s} under {@code id}, submitted now. */
    static byte[] raw(String id, Sample s, long nowMs) {
        return RAW.toBytes(CrystalSubmission.newBuilder().setId(id).setSource("bench").setFormat("cif")
                .setPayload(s.cif()).setSubmittedAt(Instant.ofEpochMilli(nowMs)).build());
    }

    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static double median(List<Double> xs) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = xs.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static String machine() {
        double l = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return String.format("%d cores, load average %.1f", Runtime.getRuntime().availableProcessors(), l);
    }

    static void deleteQuietly(Path dir) {
        try (Stream<Path> w = Files.walk(dir)) {
            w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (java.io.IOException ignored) {
                    // temp files
                }
            });
        } catch (java.io.IOException ignored) {
            // temp dir
        }
    }
}
