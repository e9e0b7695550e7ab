package io.dimstream.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.RegistryAdmin;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.trainer.data.Corpus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dimstream trainer} as an operator runs it, in its own JVM: SIGTERM in the middle of a training
 * round stops training at the next step and abandons the round cleanly — one log line, nothing published,
 * no error — and the process exits within seconds instead of after the round's budget (issue 16). A round
 * cannot be finished reliably once the JVM shuts down: ONNX Runtime's own shutdown hook closes its
 * environment, and the gate's ONNX parity check then fails; this test caught that.
 */
class TrainerSigtermIT {

    @TempDir
    Path tmp;

    @Test
    void sigtermDuringARoundAbandonsItCleanlyAndExitsWithinSeconds() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().tempDir().build().start()) {
            String bs = broker.bootstrapServers();
            Topics topics = Topics.defaults();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bs))) {
                topics.ensureAll(admin, 1, java.util.Optional.empty());
            }
            List<FeaturizedCrystal> cs = Corpus.load(List.of(Path.of("src/main/resources/demo/mp-sample.csv.gz")), 200,
                    new SiteNetFeaturizer()).crystals();
            AvroSerde<CrystalFeatures> serde = AvroSerde.of(CrystalFeatures.class);
            try (var p = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", bs), new StringSerializer(),
                    new ByteArraySerializer())) {
                for (FeaturizedCrystal f : cs) {
                    p.send(new ProducerRecord<>(topics.features(), f.id(), serde.toBytes(f.toAvro(1, 2))));
                }
            }
            Path cfg = tmp.resolve("trainer.properties");
            Files.writeString(cfg, String.join("\n",
                    "bootstrap.servers=" + bs,
                    "trainer.dir=" + tmp.resolve("trainer"),
                    "model.arch=tiny",
                    "trainer.warm.start.base=none",
                    "min.corpus.size=100",
                    "schedule.interval.ms=1000",
                    "budget.seconds=60",
                    "budget.steps=1000000",
                    "metrics.port=-1",
                    ""));
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
                    "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=" + System.getProperty("org.apache.avro.SERIALIZABLE_PACKAGES",
                            "java.lang,java.math,java.io,java.net,org.apache.avro.util,io.dimstream.schemas"),
                    "-cp", System.getProperty("java.class.path"), "io.dimstream.cli.Main", "trainer", "--config", cfg.toString()));
            Path log = tmp.resolve("trainer.log");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            String cache = System.getenv("DJL_CACHE_DIR");
            if (cache != null) {
                pb.environment().put("DJL_CACHE_DIR", cache);
            }
            Process proc = pb.start();
            java.util.function.Supplier<List<String>> lines = () -> {
                try {
                    return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
                } catch (java.io.IOException e) {
                    return List.of();
                }
            };
            try {
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (lines.get().stream().noneMatch(l -> l.contains("training sitenet-dim v1 on")) && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertTrue(lines.get().stream().anyMatch(l -> l.contains("training sitenet-dim v1 on")),
                        String.join("\n", lines.get()));
                Thread.sleep(3000); // well inside the 60 s round
                long t0 = System.nanoTime();
                proc.destroy(); // SIGTERM
                assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "trainer exits after SIGTERM");
                double secs = (System.nanoTime() - t0) / 1e9;
                String out = String.join("\n", lines.get());
                System.out.printf("trainer exited %.1f s after SIGTERM (round budget 60 s)%n", secs);
                assertTrue(out.contains("signal received: stopping the trainer"), out);
                assertTrue(out.contains("sitenet-dim v1: round abandoned, shutdown requested during training; nothing "
                        + "published"), "the interrupted round is abandoned and reported:\n" + out);
                assertFalse(out.contains("training round failed"), out);
                assertFalse(out.contains("ERROR"), out);
                assertFalse(out.contains("Shutdown in progress"), out);
                assertTrue(secs < 30, "exits well before the round's 60 s budget: " + secs + " s");
            } finally {
                proc.destroyForcibly();
            }
            var registry = new RegistryAdmin(Map.of("bootstrap.servers", bs), topics, "sitenet-dim").read(Duration.ofSeconds(30));
            assertEquals(0, registry.size(), "nothing half-published");
            assertTrue(Files.isRegularFile(tmp.resolve("trainer").resolve("corpus").resolve("state.properties")),
                    "the corpus position was checkpointed");
        }
    }
}
