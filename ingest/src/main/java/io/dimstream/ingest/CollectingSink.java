package io.dimstream.ingest;

import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.Label;
import java.util.ArrayList;
import java.util.List;

/** A {@link SubmissionSink} that keeps everything in memory (tests, {@code --dry-run}). */
public final class CollectingSink implements SubmissionSink {
    private final List<CrystalSubmission> submissions = new ArrayList<>();
    private final List<Label> labels = new ArrayList<>();

    @Override
    public synchronized void submit(CrystalSubmission submission) {
        submissions.add(submission);
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
