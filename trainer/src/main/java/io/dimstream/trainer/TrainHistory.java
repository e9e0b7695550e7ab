package io.dimstream.trainer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The per-epoch history of a (possibly resumed) training run, {@code history.jsonl} next to the checkpoint:
 * one JSON object per finished epoch with {@code epoch}, {@code step}, {@code structures_seen},
 * {@code train_loss}, every validation metric ({@code val_*}), {@code wall_seconds} (training wall time
 * summed over all invocations at the end of the epoch) and {@code lr} (the learning rate of the epoch's
 * last step).
 *
 * <p>Crash safety: the trainer appends an epoch's line before it writes that epoch's checkpoint, and a
 * resumed run first drops every line with an epoch above the checkpoint's, so an epoch is never listed
 * twice (nor missing) however the run was interrupted.
 */
public final class TrainHistory {
    public static final String FILE_NAME = "history.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainHistory() {}

    /** One history line. */
    public static Map<String, Object> record(TrainListener.Epoch e, long structuresSeen, double wallSeconds,
            double lr) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", e.epoch());
        m.put("step", e.step());
        m.put("structures_seen", structuresSeen);
        m.put("train_loss", finiteOrNull(e.trainLoss()));
        e.validation().forEach((k, v) -> m.put(k, finiteOrNull(v)));
        m.put("wall_seconds", wallSeconds);
        m.put("lr", lr);
        return m;
    }

    private static Object finiteOrNull(double d) {
        return Double.isFinite(d) ? d : null;
    }

    /** Appends one line (and forces it to disk). */
    public static void append(Path file, Map<String, Object> record) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, JSON.writeValueAsString(record) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE,
                StandardOpenOption.SYNC);
    }

    /** All records (a torn last line, from a crash in the middle of a write, is skipped). */
    public static List<Map<String, Object>> read(Path file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                out.add(JSON.readValue(line, new TypeReference<LinkedHashMap<String, Object>>() {}));
            } catch (IOException torn) {
                // only a crash mid-append leaves such a line; the epoch is rewritten after the resume
            }
        }
        return out;
    }

    /**
     * Keeps only the records of epochs {@code <= lastEpoch} (rewritten atomically); returns how many were
     * dropped. With no checkpoint ({@code lastEpoch = 0} for a fresh run) this empties a stale history.
     */
    public static int truncate(Path file, int lastEpoch) throws IOException {
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        List<Map<String, Object>> all = read(file);
        StringBuilder keep = new StringBuilder();
        int kept = 0;
        for (Map<String, Object> r : all) {
            if (r.get("epoch") instanceof Number n && n.intValue() <= lastEpoch) {
                keep.append(JSON.writeValueAsString(r)).append('\n');
                kept++;
            }
        }
        int dropped = Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank())
                .mapToInt(l -> 1).sum() - kept;
        if (dropped > 0) {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, keep.toString(), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return dropped;
    }
}
