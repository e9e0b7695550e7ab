package io.dimstream.streams;

import io.dimstream.core.Sha256;
import static io.dimstream.streams.E2eSupport.MODEL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.io.RawCif;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.DeadLetter;
import io.dimstream.schemas.ModelVersion;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end on a real in-process KRaft broker with real CIFs, the real featurizer and real ONNX models. */
class StreamsEndToEndIT {

    static EmbeddedKafkaBroker broker;
    static List<RawCif> mp;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.builder().tempDir().build().start();
        mp = E2eSupport.mpSample();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    Map<String, String> config(String prefix) {
        Map<String, String> m = E2eSupport.appConfig(broker.bootstrapServers(), tmp, prefix);
        m.put("consumer.session.timeout.ms", "6000");
        m.put("consumer.heartbeat.interval.ms", "1500");
        m.put("producer.transaction.timeout.ms", "5000");
        return m;
    }

    static String unknownElementCif(String cif) {
        // a real structure whose first site's element symbol is replaced by one that does not exist
        String[] lines = cif.split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            String t = lines[i].trim();
            if (!t.isEmpty() && Character.isUpperCase(t.charAt(0)) && t.split("\\s+").length >= 6) {
                String sym = t.split("\\s+")[0];
                lines[i] = lines[i].replace(sym, "Xq"); // type symbol and label
                break;
            }
        }
        return String.join("\n", lines) + "\n";
    }

    @Test
    void structuresBecomeFeaturesAndEmbeddingsAndBadInputGoesToTheDlq() throws Exception {
        StreamsAppConfig cfg = new StreamsAppConfig(config("e1"));
        var t = cfg.topics();
        try (StreamsApp app = StreamsMain.create(cfg).start(); var producer = E2eSupport.producer(broker.bootstrapServers())) {
            assertTrue(app.awaitRunning(Duration.ofSeconds(60)));
            E2eSupport.send(producer, t.modelsRegistry(), MODEL, E2eSupport.realModel(1, 11), ModelVersion.class);
            assertTrue(app.models().awaitVersion(1, Duration.ofSeconds(60)), app.models().lastRejection());
            for (RawCif r : mp.subList(0, 30)) {
                E2eSupport.send(producer, t.raw(), r.id(), E2eSupport.submission(r.id(), r.text()), CrystalSubmission.class);
            }
            E2eSupport.send(producer, t.raw(), "bad-1", E2eSupport.submission("bad-1",
                    "data_broken\n_cell_length_a 3.0\nloop_\n_atom_site_label\n"), CrystalSubmission.class);
            E2eSupport.send(producer, t.raw(), "bad-2", E2eSupport.submission("bad-2",
                    unknownElementCif(mp.get(40).text())), CrystalSubmission.class);
            producer.flush();

            var features = E2eSupport.readUntil(broker.bootstrapServers(), t.features(), CrystalFeatures.class,
                    l -> l.size() >= 30, Duration.ofSeconds(60), Duration.ZERO);
            assertEquals(30, features.stream().map(ConsumerRecord::key).distinct().count());
            var emb = E2eSupport.readUntil(broker.bootstrapServers(), t.embeddings(), CrystalEmbedding.class,
                    l -> l.size() >= 30, Duration.ofSeconds(60), Duration.ofSeconds(1));
            assertEquals(30, emb.size());
            for (var r : emb) {
                assertEquals(1, r.value().getModelVersion());
                assertEquals(MODEL, r.value().getModelName());
                assertEquals(16, r.value().getEmbedding().size());
                assertTrue(r.value().getEmbedding().stream().allMatch(Float::isFinite));
            }
            var dlq = E2eSupport.readUntil(broker.bootstrapServers(), t.dlq(), DeadLetter.class,
                    l -> l.size() >= 2, Duration.ofSeconds(30), Duration.ofMillis(500));
            Map<String, DeadLetter> dead = dlq.stream().collect(Collectors.toMap(ConsumerRecord::key, ConsumerRecord::value));
            assertEquals(Set.of("bad-1", "bad-2"), dead.keySet());
            assertEquals("parse", dead.get("bad-1").getStage());
            assertTrue(dead.get("bad-1").getErrorType().startsWith("cif."), dead.get("bad-1").getErrorType());
            assertTrue(dead.get("bad-2").getErrorType().contains("unknown_element"), dead.get("bad-2").getErrorType());
            assertTrue(dead.get("bad-2").getMessage().contains("Xq"), dead.get("bad-2").getMessage());
            assertTrue(dead.get("bad-2").getOriginalPayload().remaining() > 100);
        }
    }

    @Test
    void newVersionMidStreamServesLaterRecordsAndBackfillsAndInvalidModelsAreRejected() throws Exception {
        StreamsAppConfig cfg = new StreamsAppConfig(config("e2"));
        var t = cfg.topics();
        String bs = broker.bootstrapServers();
        try (StreamsApp app = StreamsMain.create(cfg).start(); var producer = E2eSupport.producer(bs)) {
            assertTrue(app.awaitRunning(Duration.ofSeconds(60)));
            E2eSupport.send(producer, t.modelsRegistry(), MODEL, E2eSupport.realModel(1, 1), ModelVersion.class);
            producer.flush();
            assertTrue(app.models().awaitVersion(1, Duration.ofSeconds(60)));
            for (RawCif r : mp.subList(0, 20)) {
                E2eSupport.send(producer, t.raw(), r.id(), E2eSupport.submission(r.id(), r.text()), CrystalSubmission.class);
            }
            producer.flush();
            E2eSupport.readUntil(bs, t.embeddings(), CrystalEmbedding.class, l -> l.size() >= 20,
                    Duration.ofSeconds(60), Duration.ZERO);

            // invalid candidates: tampered sha256, and bytes that are not ONNX (with a matching sha256)
            ModelVersion tampered = E2eSupport.realModel(2, 2);
            tampered.setSha256("ab".repeat(32));
            E2eSupport.send(producer, t.modelsRegistry(), MODEL, tampered, ModelVersion.class);
            ModelVersion garbage = E2eSupport.realModel(2, 2);
            byte[] junk = "this is not an onnx graph".getBytes();
            garbage.setOnnx(ByteBuffer.wrap(junk));
            garbage.setSha256(Sha256.hex(junk));
            E2eSupport.send(producer, t.modelsRegistry(), MODEL, garbage, ModelVersion.class);
            producer.flush();
            long deadline = System.currentTimeMillis() + 30_000;
            while (app.counters().get("models.rejected") < 2 && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(1, app.counters().get("models.rejected.sha256_mismatch"));
            assertEquals(1, app.counters().get("models.rejected.onnx_load"));
            assertEquals(1, app.models().currentVersion().orElseThrow(), "v1 keeps serving");
            for (RawCif r : mp.subList(20, 30)) {
                E2eSupport.send(producer, t.raw(), r.id(), E2eSupport.submission(r.id(), r.text()), CrystalSubmission.class);
            }
            producer.flush();
            var afterReject = E2eSupport.readUntil(bs, t.embeddings(), CrystalEmbedding.class, l -> l.size() >= 30,
                    Duration.ofSeconds(60), Duration.ZERO);
            assertTrue(afterReject.stream().allMatch(r -> r.value().getModelVersion() == 1));

            // v2 published while structures keep arriving
            E2eSupport.send(producer, t.modelsRegistry(), MODEL, E2eSupport.realModel(2, 3), ModelVersion.class);
            for (RawCif r : mp.subList(30, 50)) {
                E2eSupport.send(producer, t.raw(), r.id(), E2eSupport.submission(r.id(), r.text()), CrystalSubmission.class);
                Thread.sleep(20);
            }
            producer.flush();
            assertTrue(app.models().awaitVersion(2, Duration.ofSeconds(60)));
            Set<String> late = new HashSet<>();
            for (RawCif r : mp.subList(50, 60)) {
                late.add(r.id());
                E2eSupport.send(producer, t.raw(), r.id(), E2eSupport.submission(r.id(), r.text()), CrystalSubmission.class);
            }
            producer.flush();
            Set<String> all = mp.subList(0, 60).stream().map(RawCif::id).collect(Collectors.toSet());
            var emb = E2eSupport.readUntil(bs, t.embeddings(), CrystalEmbedding.class,
                    l -> l.stream().filter(r -> r.value().getModelVersion() == 2).map(ConsumerRecord::key)
                            .collect(Collectors.toSet()).containsAll(all),
                    Duration.ofSeconds(90), Duration.ofSeconds(2));
            Map<String, Long> v2 = emb.stream().filter(r -> r.value().getModelVersion() == 2)
                    .collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
            assertEquals(all, v2.keySet(), "nothing lost: every id has a v2 embedding");
            assertTrue(v2.values().stream().allMatch(c -> c == 1), "one v2 embedding per id: " + v2);
            for (var r : emb) {
                if (late.contains(r.key())) {
                    assertEquals(2, r.value().getModelVersion(), "records after the swap embed with v2");
                }
            }
            Map<String, Long> v1 = emb.stream().filter(r -> r.value().getModelVersion() == 1)
                    .collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
            assertTrue(v1.values().stream().allMatch(c -> c == 1), "at most one v1 embedding per id");
            assertTrue(v1.keySet().containsAll(mp.subList(0, 30).stream().map(RawCif::id).toList()));
        }
    }

    @Test
    void killedMidBatchAndRestartedEmbedsEveryIdExactlyOnce() throws Exception {
        Map<String, String> props = config("e3");
        props.put(StreamsAppConfig.BATCH_SIZE, "16");
        props.put(StreamsAppConfig.BATCH_MAX_WAIT_MS, "600000"); // the last partial batch waits in the buffer
        props.put("metrics.port", "0"); // the child's ops endpoint on a free port, not the shared default 9464
        StreamsAppConfig cfg = new StreamsAppConfig(props);
        var t = cfg.topics();
        String bs = broker.bootstrapServers();
        Path cfgFile = tmp.resolve("e3.properties");
        StringBuilder sb = new StringBuilder();
        props.forEach((k, v) -> sb.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        Files.writeString(cfgFile, sb.toString());
        Path log = tmp.resolve("child.log");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx1g", "-XX:ErrorFile=" + tmp.resolve("hs_err_%p.log"),
                "-cp", System.getProperty("java.class.path"),
                "-Dai.djl.offline=true",
                "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=java.lang,java.util,org.apache.avro.util,io.dimstream.schemas",
                StreamsMain.class.getName(), cfgFile.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Process child = pb.start();
        int n = 40;
        try (var producer = E2eSupport.producer(bs)) {
            broker.createTopics(cfg.topics().specs(2).stream()
                    .map(s -> s.toNewTopic(java.util.Optional.empty())).toList());
            E2eSupport.send(producer, t.modelsRegistry(), MODEL, E2eSupport.realModel(1, 5), ModelVersion.class);
            for (RawCif r : mp.subList(60, 60 + n)) {
                E2eSupport.send(producer, t.raw(), r.id(), E2eSupport.submission(r.id(), r.text()), CrystalSubmission.class);
            }
            producer.flush();
            // wait until some full batches are committed, then kill -9 with the rest still buffered
            var before = E2eSupport.readUntil(bs, t.embeddings(), CrystalEmbedding.class, l -> l.size() >= 16,
                    Duration.ofSeconds(120), Duration.ofMillis(500));
            assertTrue(child.isAlive(), () -> "child died (exit " + child.exitValue() + "): " + readLog(log) + hsErr());
            assertTrue(before.size() >= 16 && before.size() < n, "before kill: " + before.size() + " embeddings\n"
                    + readLog(log));
            child.destroyForcibly().waitFor();
        } finally {
            child.destroyForcibly();
        }
        // restart (fresh local state: the buffer comes back from its changelog) with a short flush period
        props.put(StreamsAppConfig.BATCH_MAX_WAIT_MS, "200");
        props.put(StreamsAppConfig.STATE_DIR, tmp.resolve("e3-state-restarted").toString());
        try (StreamsApp app = StreamsMain.create(new StreamsAppConfig(props)).start()) {
            var emb = E2eSupport.readUntil(bs, t.embeddings(), CrystalEmbedding.class,
                    l -> l.stream().map(ConsumerRecord::key).distinct().count() >= n,
                    Duration.ofSeconds(120), Duration.ofSeconds(3));
            Map<String, Long> perId = emb.stream().filter(r -> r.value().getModelVersion() == 1)
                    .collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
            assertEquals(n, perId.size(), "every id embedded");
            assertTrue(perId.values().stream().allMatch(c -> c == 1), "exactly once per version: " + perId);
            assertEquals(n, emb.size());
        }
    }

    String hsErr() {
        try (var files = Files.list(tmp)) {
            return files.filter(f -> f.getFileName().toString().startsWith("hs_err")).findFirst()
                    .map(StreamsEndToEndIT::readLog).orElse("");
        } catch (Exception e) {
            return e.toString();
        }
    }

    @Test
    void backfillIsRateBoundedAndResumesAfterARestart() throws Exception {
        Map<String, String> props = config("e4");
        props.put(StreamsAppConfig.BUFFER_MAX_RECORDS, "1"); // (almost) everything is left to the backfill
        props.put(StreamsAppConfig.BACKFILL_RATE, "10");
        props.put(StreamsAppConfig.BATCH_SIZE, "4");
        StreamsAppConfig cfg = new StreamsAppConfig(props);
        var t = cfg.topics();
        String bs = broker.bootstrapServers();
        int n = 60;
        try (var producer = E2eSupport.producer(bs)) {
            long firstScanned;
            try (StreamsApp app = StreamsMain.create(cfg).start()) {
                assertTrue(app.awaitRunning(Duration.ofSeconds(60)));
                for (RawCif r : mp.subList(88, 88 + n)) {
                    E2eSupport.send(producer, t.raw(), r.id(), E2eSupport.submission(r.id(), r.text()), CrystalSubmission.class);
                }
                producer.flush();
                E2eSupport.readUntil(bs, t.features(), CrystalFeatures.class, l -> l.size() >= n, Duration.ofSeconds(60),
                        Duration.ZERO);
                E2eSupport.send(producer, t.modelsRegistry(), MODEL, E2eSupport.realModel(1, 21), ModelVersion.class);
                producer.flush();
                assertTrue(app.models().awaitVersion(1, Duration.ofSeconds(60)));
                long start = System.nanoTime();
                while (app.counters().get("backfill.embedded") < 20 && System.nanoTime() - start < 60e9) {
                    Thread.sleep(50);
                }
                double secs = (System.nanoTime() - start) / 1e9;
                long done = app.counters().get("backfill.embedded");
                assertTrue(done < n, "stopped mid-backfill: " + done);
                assertTrue(done <= 10 * secs + 10 + 1, done + " re-embedded in " + secs + " s at 10/s (+1 s burst)");
                firstScanned = app.counters().get("backfill.scanned");
            } // graceful close commits the progress with the outputs
            try (StreamsApp app = StreamsMain.create(cfg).start()) {
                var emb = E2eSupport.readUntil(bs, t.embeddings(), CrystalEmbedding.class,
                        l -> l.stream().map(ConsumerRecord::key).distinct().count() >= n,
                        Duration.ofSeconds(120), Duration.ofSeconds(1));
                Map<String, Long> perId = emb.stream()
                        .collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
                assertEquals(n, perId.size());
                assertTrue(perId.values().stream().allMatch(c -> c == 1), "once per version across the restart");
                long scannedAfter = app.counters().get("backfill.scanned");
                assertTrue(scannedAfter < n && scannedAfter + firstScanned >= n - 1,
                        "resumed: scanned " + firstScanned + " before and " + scannedAfter + " after the restart");
            }
        }
    }

    static String readLog(Path p) {
        try {
            String s = Files.readString(p);
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        } catch (Exception e) {
            return e.toString();
        }
    }
}
