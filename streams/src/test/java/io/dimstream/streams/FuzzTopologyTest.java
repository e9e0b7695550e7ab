package io.dimstream.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.dimstream.core.LogSafe;
import io.dimstream.core.cif.CifMutations;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.DeadLetter;
import io.dimstream.schemas.ModelVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Fuzz: a few hundred mutated real CIFs (core's {@link CifMutations}: truncations, bit flips, huge numbers,
 * control characters, inserted tokens, an oversize text) through the real topology. Every input ends as
 * features (and an embedding) or as exactly one dead letter with a {@code stage} and a code; none is
 * dropped, and every dead-letter log line is one line even for keys with control characters.
 */
class FuzzTopologyTest {
    static final Pattern CODE = Pattern.compile("[a-z]+(\\.[a-z_0-9]+)?|[a-z_]+");

    @TempDir
    Path stateDir;

    @Test
    void everyMutatedCifEndsAsFeaturesOrOneCodedDeadLetter() throws Exception {
        List<CifMutations.Case> cases = CifMutations.generate(17, 300, true);
        StreamsAppConfig cfg = new StreamsAppConfig(Map.of(StreamsAppConfig.STATE_DIR, stateDir.toString(),
                StreamsAppConfig.BATCH_SIZE, "16"));
        Counters counters = new Counters();
        Properties sp = cfg.kafkaStreamsProperties();
        Logger stageLog = (Logger) LoggerFactory.getLogger(FeaturizeStage.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        stageLog.addAppender(logs);
        Set<String> keys = new HashSet<>();
        Map<String, CrystalFeatures> features;
        Map<String, CrystalEmbedding> embeddings;
        Map<String, DeadLetter> dead;
        try (ModelManager models = new ModelManager("sitenet-dim", SiteNetFeaturizer.VERSION, 1 << 20,
                TestModels.LOADER, List.of(), counters);
             TopologyTestDriver driver = new TopologyTestDriver(new TopologyFactory(cfg, new CifFeaturize(), models,
                     counters, new BackfillStatus()).build(sp), sp)) {
            var t = cfg.topics();
            var raw = driver.createInputTopic(t.raw(), Serdes.String().serializer(), AvroSerde.of(CrystalSubmission.class));
            var reg = driver.createInputTopic(t.modelsRegistry(), Serdes.String().serializer(), AvroSerde.of(ModelVersion.class));
            var featuresOut = driver.createOutputTopic(t.features(), Serdes.String().deserializer(), AvroSerde.of(CrystalFeatures.class));
            var embOut = driver.createOutputTopic(t.embeddings(), Serdes.String().deserializer(), AvroSerde.of(CrystalEmbedding.class));
            var dlq = driver.createOutputTopic(t.dlq(), Serdes.String().deserializer(), AvroSerde.of(DeadLetter.class));
            reg.pipeInput("sitenet-dim", TestModels.model("sitenet-dim", 1, SiteNetFeaturizer.VERSION, "test-encoder scale=1"));
            models.drain(Duration.ofSeconds(10));
            for (int i = 0; i < cases.size(); i++) {
                CifMutations.Case c = cases.get(i);
                // every 25th key carries control characters (a crafted id that tries to forge a log line)
                String key = i % 25 == 0 ? c.name() + " dead letter x\n05:05:00.000 ERROR Fake - \u001b[31m" : c.name();
                keys.add(key);
                raw.pipeInput(key, E2eSupport.submission(key, c.text()));
            }
            driver.advanceWallClockTime(Duration.ofSeconds(1));
            features = featuresOut.readKeyValuesToMap();
            embeddings = embOut.readKeyValuesToMap();
            var deadList = dlq.readKeyValuesToList();
            dead = new TreeMap<>();
            for (var kv : deadList) {
                assertTrue(dead.put(kv.key, kv.value) == null, "one dead letter per input: " + kv.key);
            }
        } finally {
            stageLog.detachAppender(logs);
        }
        Set<String> outcome = new HashSet<>(features.keySet());
        for (String k : dead.keySet()) {
            assertTrue(outcome.add(k) || dead.get(k).getStage().equals("embed"), "features and a non-embed dead letter: " + k);
        }
        assertEquals(keys, outcome, "every input accounted for");
        Map<String, Integer> byCode = new TreeMap<>();
        for (DeadLetter d : dead.values()) {
            assertTrue(CODE.matcher(d.getErrorType().toString()).matches(), d.getErrorType().toString());
            assertFalse(d.getStage().toString().isEmpty());
            byCode.merge(d.getStage() + "/" + d.getErrorType(), 1, Integer::sum);
        }
        assertEquals(features.keySet(), embeddings.keySet(), "every featurized input is embedded");
        assertEquals("parse/cif.too_large", dead.get("fuzz-oversize").getStage() + "/" + dead.get("fuzz-oversize").getErrorType());
        // substantial on both sides: the mutations are not all fatal, and not all harmless
        assertTrue(features.size() > 60, features.size() + " featurized");
        assertTrue(dead.size() > 60, dead.size() + " dead letters");
        assertTrue(byCode.size() >= 6, byCode.toString());
        List<String> deadLogs = logs.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith("dead letter")).toList();
        assertEquals(dead.size(), deadLogs.size(), "one log line per dead letter");
        for (String line : deadLogs) {
            for (char ch : line.toCharArray()) {
                assertFalse(LogSafe.needsEscape(ch), "raw control character " + (int) ch + " in: " + line);
            }
        }
        System.out.printf("fuzz topology: %d inputs -> %d features (+%d embeddings), %d dead letters %s%n",
                keys.size(), features.size(), embeddings.size(), dead.size(), byCode);
    }
}
