package io.dimstream.ingest;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A terminal progress bar (me.tongfei:progressbar) with records/s and the produced/unchanged/bad counts. */
public final class ProgressBarProgress implements IngestProgress {
    private final String task;
    private ProgressBar bar;
    private long base;
    private long lastSeen;

    public ProgressBarProgress(String task) {
        this.task = task;
    }

    @Override
    public void passStarted(long remaining) {
        if (bar != null) {
            bar.close();
        }
        bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(remaining > 0 ? remaining : -1)
                .setStyle(ProgressBarStyle.ASCII).setUnit(" rec", 1).showSpeed().setSpeedUnit(java.time.temporal.ChronoUnit.SECONDS)
                .setUpdateIntervalMillis(500).setMaxRenderedLength(120).build();
        base = lastSeen;
    }

    @Override
    public void update(IngestStats s) {
        if (bar == null) {
            return;
        }
        long seen = s.read() + s.bad();
        lastSeen = seen;
        bar.stepTo(Math.max(0, seen - base));
        bar.setExtraMessage(String.format(java.util.Locale.ROOT, " new %d, same %d, bad %d", s.produced(), s.unchanged(), s.bad()));
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
