package io.dimstream.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.io.RawCif;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.DeadLetter;
import io.dimstream.schemas.ModelVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The topology with the real CIF parser and Site-Net featurizer on real Materials Project structures. */
class RealCifTopologyTest {

    @TempDir
    Path stateDir;

    @Test
    void realStructuresAreFeaturizedAndEmbeddedAndBrokenOnesDeadLettered() throws Exception {
        StreamsAppConfig cfg = new StreamsAppConfig(Map.of(StreamsAppConfig.STATE_DIR, stateDir.toString(),
                StreamsAppConfig.BATCH_SIZE, "16"));
        Counters counters = new Counters();
        List<RawCif> mp = E2eSupport.mpSample().subList(0, 40);
        Properties sp = cfg.kafkaStreamsProperties();
        try (ModelManager models = new ModelManager("sitenet-dim", SiteNetFeaturizer.VERSION, 1 << 20,
                TestModels.LOADER, List.of(), counters);
             TopologyTestDriver driver = new TopologyTestDriver(new TopologyFactory(cfg, new CifFeaturize(), models,
                     counters, new BackfillStatus()).build(sp), sp)) {
            var t = cfg.topics();
            var raw = driver.createInputTopic(t.raw(), Serdes.String().serializer(), AvroSerde.of(CrystalSubmission.class));
            var reg = driver.createInputTopic(t.modelsRegistry(), Serdes.String().serializer(), AvroSerde.of(ModelVersion.class));
            var features = driver.createOutputTopic(t.features(), Serdes.String().deserializer(), AvroSerde.of(CrystalFeatures.class));
            var emb = driver.createOutputTopic(t.embeddings(), Serdes.String().deserializer(), AvroSerde.of(CrystalEmbedding.class));
            var dlq = driver.createOutputTopic(t.dlq(), Serdes.String().deserializer(), AvroSerde.of(DeadLetter.class));

            reg.pipeInput("sitenet-dim", TestModels.model("sitenet-dim", 1, SiteNetFeaturizer.VERSION, "test-encoder scale=1"));
            models.drain(Duration.ofSeconds(10));
            for (RawCif r : mp) {
                raw.pipeInput(r.id(), E2eSupport.submission(r.id(), r.text()));
            }
            raw.pipeInput("no-cell", E2eSupport.submission("no-cell",
                    mp.get(0).text().replaceAll("(?m)^_cell_length_a.*$", "")));
            var optimade = E2eSupport.submission("json-1", "{}");
            optimade.setFormat("optimade-json");
            raw.pipeInput("json-1", optimade);
            driver.advanceWallClockTime(Duration.ofSeconds(1));

            var f = features.readKeyValuesToMap();
            assertEquals(40, f.size());
            for (CrystalFeatures cf : f.values()) {
                assertEquals(SiteNetFeaturizer.VERSION, cf.getFeaturizerVersion());
                assertEquals(cf.getPrimSites() * cf.getFeatureDim(), cf.getSiteFeatures().size());
                assertEquals(cf.getPrimSites() * cf.getSupercellSites(), cf.getDistances().size());
                assertTrue(cf.getSupercellSites() >= cf.getPrimSites());
            }
            var e = emb.readKeyValuesToMap();
            assertEquals(f.keySet(), e.keySet());
            var dead = dlq.readKeyValuesToMap();
            assertEquals("parse", dead.get("no-cell").getStage());
            assertTrue(dead.get("no-cell").getErrorType().startsWith("cif."), dead.get("no-cell").getErrorType());
            assertEquals("unsupported_format", dead.get("json-1").getErrorType());
        }
    }
}
