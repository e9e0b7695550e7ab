package io.dimstream.streams;

import io.dimstream.core.LogSafe;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * raw bytes → {@code CrystalFeatures} or {@code DeadLetter}. Never throws for bad input: undecodable
 * records, unsupported formats, parse and featurize errors all become dead letters carrying the
 * original bytes, with one log line each.
 */
public final class FeaturizeStage {

    private static final Logger log = LoggerFactory.getLogger(FeaturizeStage.class);

    private final Featurize featurize;
    private final String rawTopic;
    private final Counters counters;
    private final AvroSerde<CrystalSubmission> submissions = AvroSerde.of(CrystalSubmission.class);

    public FeaturizeStage(Featurize featurize, String rawTopic, Counters counters) {
        this.featurize = featurize;
        this.rawTopic = rawTopic;
        this.counters = counters;
    }

    /**
     * What one raw record became: either features (both the in-memory {@link FeaturizedCrystal} the
     * encoder reads and the Avro record published to the features topic) or a dead letter.
     */
    public record Outcome(String id, FeaturizedCrystal crystal, CrystalFeatures features, DeadLetter dead,
                          long submittedAtMs) {
        public boolean ok() {
            return dead == null;
        }
    }

    /** The outcome (key = structure id) for one raw record. */
    public Outcome process(String key, byte[] value) {
        counters.inc("raw.in");
        return run(key, value, true);
    }

    /**
     * Featurizes a raw record again (a buffered record restored after a restart), without counting it
     * as a new input.
     */
    public Outcome reprocess(String key, byte[] value) {
        return run(key, value, false);
    }

    private Outcome run(String key, byte[] value, boolean count) {
        CrystalSubmission sub;
        try {
            sub = submissions.fromBytes(value);
        } catch (RuntimeException e) {
            return dead(key, value, new StageException("ingest", "avro.undecodable", e.getMessage()));
        }
        String id = sub.getId() == null || sub.getId().isBlank() ? key : sub.getId();
        if (id == null || id.isBlank()) {
            return dead("", value, new StageException("ingest", "missing_id",
                    "record has neither a Kafka key nor a submission id"));
        }
        if (!id.equals(sub.getId())) {
            sub.setId(id); // the Kafka key names the structure when the submission does not
        }
        try {
            FeaturizedCrystal fc = featurize.apply(sub);
            long now = System.currentTimeMillis();
            long submitted = sub.getSubmittedAt() == null ? 0 : sub.getSubmittedAt().toEpochMilli();
            CrystalFeatures out = fc.toAvro(submitted, now);
            if (count) {
                counters.inc("features.out");
            }
            return new Outcome(fc.id(), fc, out, null, submitted);
        } catch (StageException e) {
            return dead(id, value, e);
        } catch (RuntimeException e) {
            // a defect in parse/featurize code, not the input's fault: still no crash, but say so loudly
            log.error("{} {}: unexpected {} while featurizing", rawTopic, LogSafe.escape(id), LogSafe.escape(e), e);
            return dead(id, value, new StageException("featurize", "internal_error", e.toString()));
        }
    }

    private Outcome dead(String id, byte[] original, StageException e) {
        counters.inc("dlq." + e.stage() + "." + e.code());
        log.warn("dead letter {} [{}/{}]: {}", LogSafe.escape(id), e.stage(), e.code(), LogSafe.escape(e.getMessage()));
        DeadLetter dl = DeadLetter.newBuilder()
                .setId(id == null ? "" : id)
                .setStage(e.stage())
                .setErrorType(e.code())
                .setMessage(e.getMessage() == null ? "" : e.getMessage())
                .setOriginalTopic(rawTopic)
                .setOriginalPayload(original == null ? null : ByteBuffer.wrap(original))
                .setFailedAt(Instant.now())
                .build();
        return new Outcome(id, null, null, dl, 0);
    }
}
