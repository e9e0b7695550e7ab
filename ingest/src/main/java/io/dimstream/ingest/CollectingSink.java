package io.dimstream.ingest;

import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.Label;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link SubmissionSink} that keeps everything in memory (tests, {@code --dry-run}). With a record limit
 * it refuses larger submissions exactly as the Kafka sinks do ({@link RecordLimit}).
 */
public final class CollectingSink implements SubmissionSink {
    private final List<CrystalSubmission> submissions = new ArrayList<>();
    private final List<Label> labels = new ArrayList<>();
    private final String rawTopic;
    private final RecordLimit limit;

    /** Collects for the default raw topic, without a size limit. */
    public CollectingSink() {
        this(io.dimstream.core.kafka.Topics.defaults().raw(), null);
    }

    /**
     * @param rawTopic the topic the records would go to (part of the state keys)
     * @param limit    the record size limit to apply, or null for none
     */
    public CollectingSink(String rawTopic, RecordLimit limit) {
        this.rawTopic = rawTopic;
        this.limit = limit;
    }

    @Override
    public synchronized void submit(CrystalSubmission submission) {
        if (limit != null) {
            limit.check(submission.getId(), RecordLimit.SUBMISSIONS.toBytes(submission));
        }
        submissions.add(submission);
    }

    @Override
    public String rawTopic() {
        return rawTopic;
    }

    @Override
    public synchronized void submitLabel(Label label) {
        labels.add(label);
    }

    @Override
    public void flush() {
    }

    public synchronized List<CrystalSubmission> submissions() {
        return new ArrayList<>(submissions);
    }

    public synchronized List<Label> labels() {
        return new ArrayList<>(labels);
    }
}
