package io.dimstream.cli.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.ModelRecords;
import io.dimstream.core.kafka.RegistryAdmin;
import io.dimstream.core.kafka.RegistryState;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code dimstream model rollback|promote} against a real broker (issue 16). */
class ModelRollbackCommandIT {

    private static ModelVersion rec(int v) {
        byte[] bytes = ("model " + v).getBytes(StandardCharsets.UTF_8);
        return ModelVersion.newBuilder().setModelName("sitenet-dim").setVersion(v).setCreatedAt(Instant.now())
                .setFeaturizerVersion(2).setInputSpec("{}").setOutputSpec("{}").setOnnx(ByteBuffer.wrap(bytes))
                .setSha256(io.dimstream.core.Sha256.hex(bytes)).setStatus(ModelStatus.PROMOTED).build();
    }

    private static int run(ModelCommand.RegistryCommand cmd, ByteArrayOutputStream out, ByteArrayOutputStream err,
                           String... args) {
        cmd.stdout = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.stderr = new PrintStream(err, true, StandardCharsets.UTF_8);
        return new CommandLine(cmd).execute(args);
    }

    @Test
    void rollbackRetiresTheNewerVersionsAndPromoteUndoesItWithClearErrors() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().tempDir().build().start()) {
            String bs = broker.bootstrapServers();
            Topics topics = Topics.defaults();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bs))) {
                topics.ensureAll(admin, 1, java.util.Optional.empty());
            }
            AvroSerde<ModelVersion> serde = AvroSerde.of(ModelVersion.class);
            try (var p = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", bs), new StringSerializer(),
                    new ByteArraySerializer())) {
                for (int v = 1; v <= 3; v++) {
                    p.send(new ProducerRecord<>(topics.modelsRegistry(), ModelRecords.registryKey("sitenet-dim", v),
                            serde.toBytes(rec(v))));
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(0, run(new ModelCommand.Rollback(), out, err, "--bootstrap-servers", bs, "sitenet-dim", "1"),
                    err.toString());
            assertEquals("model rollback: sitenet-dim retired v2, v3; the streams apps now serve v1 and backfill their "
                    + "corpus with it", out.toString().strip());
            RegistryAdmin admin = new RegistryAdmin(Map.of("bootstrap.servers", bs), topics, "sitenet-dim");
            RegistryState s = admin.read(Duration.ofSeconds(30));
            assertTrue(s.isPromoted(1));
            assertFalse(s.isPromoted(2));
            assertEquals(ModelStatus.RETIRED, s.get(3).orElseThrow().getStatus());
            assertEquals(rec(3).getSha256(), s.get(3).orElseThrow().getSha256(), "bytes and sha256 unchanged");
            assertEquals(List.of(1), s.promotedDescending().stream().map(ModelVersion::getVersion).toList());

            // nothing to do, unknown version: one line, exit 1
            ByteArrayOutputStream err2 = new ByteArrayOutputStream();
            assertEquals(1, run(new ModelCommand.Rollback(), new ByteArrayOutputStream(), err2, "--bootstrap-servers", bs,
                    "sitenet-dim", "1"));
            assertTrue(err2.toString().startsWith("registry.nothing_to_do: sitenet-dim v1 is already the highest"), err2.toString());
            ByteArrayOutputStream err3 = new ByteArrayOutputStream();
            assertEquals(1, run(new ModelCommand.Rollback(), new ByteArrayOutputStream(), err3, "--bootstrap-servers", bs,
                    "sitenet-dim", "9"));
            assertTrue(err3.toString().startsWith("registry.unknown_version: sitenet-dim v9 is not on models.registry "
                    + "(versions there: [1, 2, 3])"), err3.toString());

            // promote v2: it is the highest PROMOTED again, so it serves
            ByteArrayOutputStream out4 = new ByteArrayOutputStream();
            assertEquals(0, run(new ModelCommand.Promote(), out4, new ByteArrayOutputStream(), "--bootstrap-servers", bs,
                    "sitenet-dim", "2"));
            assertEquals("model promote: sitenet-dim promoted v2; the streams apps now serve v2 and backfill their "
                    + "corpus with it", out4.toString().strip());
            assertEquals(List.of(2, 1), admin.read(Duration.ofSeconds(30)).promotedDescending().stream()
                    .map(ModelVersion::getVersion).toList());
        }
    }
}
