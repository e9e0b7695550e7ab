package io.dimstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.ingest.kafka.KafkaIngestState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dimstream ingest} against a real embedded broker: structures, a re-run, labels, Kafka properties. */
class IngestCommandIT {
    @TempDir
    Path dir;

    static final String NACL = ParseCommandTest.NACL;

    String run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.commandLine().execute(args);
            assertEquals(0, exit, out.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void holdoutSplitOfIngestMatchesTheEvaluationSplit() throws Exception {
        StringBuilder csv = new StringBuilder("material_id,band_gap\n");
        int test = 0;
        for (int i = 0; i < 1000; i++) {
            csv.append("mp-").append(i).append(',').append(i * 0.01).append('\n');
            boolean a = io.dimstream.core.HeldOutSplit.isHeldOut("mp-" + i, 0.1);
            assertEquals(io.dimstream.core.HeldOutSplit.isHeldOut("mp-" + i, 0.1), a);
            test += a ? 1 : 0;
        }
        assertTrue(test > 70 && test < 130, "held out " + test);
        io.dimstream.ingest.CollectingSink sink = new io.dimstream.ingest.CollectingSink();
        var r = new io.dimstream.ingest.labels.LabelLoader("material_id", java.util.List.of("band_gap"), "t", 0.1)
                .load(new java.io.StringReader(csv.toString()), "mem", sink, new io.dimstream.ingest.InMemoryIngestState());
        assertEquals(test, r.heldOut());
        assertEquals(1000 - test, r.produced());
        assertTrue(sink.labels().stream().noneMatch(l -> io.dimstream.core.HeldOutSplit.isHeldOut(l.getId(), 0.1)));
    }

    @Test
    void ingestsFilesOnceAndLabels() throws Exception {
        Path in = Files.createDirectories(dir.resolve("in"));
        Files.writeString(in.resolve("nacl.cif"), NACL);
        Files.writeString(in.resolve("kcl.cif"), NACL.replace("Na", "K").replace("5.64", "6.29"));
        Files.writeString(in.resolve("junk.cif"), "this is not a CIF");
        Path labels = dir.resolve("labels.csv");
        Files.writeString(labels, "material_id,band_gap,formation_energy_per_atom\nnacl,5.0,-2.0\nkcl,5.2,-2.2\n");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().tempDir().build().start()) {
            String bs = broker.bootstrapServers();
            String first = run("ingest", "--no-progress", "-b", bs, "--client.id=cli-test", in.toString());
            assertTrue(first.contains("read 2, produced 2, unchanged 0, bad 1"), first);
            String second = run("ingest", "--no-progress", "-b", bs, "-P", "linger.ms=5", in.toString());
            assertTrue(second.contains("read 0, produced 0"), "the watermark skips finished files: " + second);
            String lab = run("ingest", "-b", bs, "--labels", "band_gap,formation_energy_per_atom", labels.toString());
            assertTrue(lab.contains("produced 4"), lab);
            try (KafkaIngestState state = new KafkaIngestState(Map.of("bootstrap.servers", bs))) {
                assertTrue(state.contentHash(io.dimstream.ingest.Ingestor.hashKey("crystals.raw", "nacl")).isPresent(),
                        "hashes are kept per raw topic");
                assertTrue(state.contentHash("nacl").isEmpty());
                assertTrue(state.watermarks().keySet().stream().anyMatch(k -> k.startsWith("file:") && k.endsWith(" -> crystals.raw")),
                        state.watermarks().keySet().toString());
                assertTrue(state.contentHash("label:kcl/band_gap").isPresent());
                assertEquals(2, state.watermarks().size(), "the folder's watermark and the labels file's count");
                assertEquals(4, state.recordsProduced("labels:" + labels));
            }
        }
    }
}
