package io.dimstream.ingest;

import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.CrystalSubmission;
import java.nio.charset.StandardCharsets;

/**
 * The largest record a destination takes, and the check the sinks make before sending: a submission
 * whose serialized key + value (+ {@link #OVERHEAD}) is larger than {@code maxBytes} is refused with
 * {@link SubmissionSink#TOO_LARGE}, so it becomes a bad record instead of a send that fails the batch
 * (and, in a Kafka transaction, every later run at the same row). Sizes are uncompressed, like the
 * producer's own {@code max.request.size} check; against a broker or topic limit (which applies to the
 * compressed batch) the check is conservative.
 *
 * @param maxBytes the limit in bytes
 * @param source   which setting gives it, for the message (e.g. {@code producer max.request.size})
 */
public record RecordLimit(long maxBytes, String source) {
    /** Upper bound of what the producer adds to key + value in its size check (batch and record headers). */
    public static final int OVERHEAD = 128;

    static final AvroSerde<CrystalSubmission> SUBMISSIONS = AvroSerde.of(CrystalSubmission.class);

    /**
     * @throws IngestException ({@link SubmissionSink#TOO_LARGE}) when the record is over the limit
     */
    public void check(String key, byte[] value) {
        long size = (long) key.getBytes(StandardCharsets.UTF_8).length + value.length + OVERHEAD;
        if (size > maxBytes) {
            throw new IngestException(SubmissionSink.TOO_LARGE, "the serialized record has " + size
                    + " bytes, more than the " + maxBytes + " bytes of " + source + "; not produced");
        }
    }
}
