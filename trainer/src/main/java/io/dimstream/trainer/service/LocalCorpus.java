package io.dimstream.trainer.service;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.CrystalFeatures;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's local copy of {@code crystals.features}: the latest record per structure id, kept in
 * memory and persisted under a directory so a restart resumes from the saved consumer offsets
 * instead of re-reading the topic.
 *
 * <p>Files: {@code corpus.log} (append-only: id, length, Avro single-object bytes; length -1 = the id
 * was deleted) and {@code state.properties} (the consumer offset per partition + counters). On
 * {@link #checkpoint} the log is flushed and fsync'ed before the offsets are replaced atomically, so
 * the log always holds at least what the offsets claim. A torn tail (crash mid-append) is ignored on
 * load. The log is rewritten when it holds more than twice the live records.
 */
public final class LocalCorpus implements TrainerCorpus {

    private static final Logger log = LoggerFactory.getLogger(LocalCorpus.class);
    private static final String LOG = "corpus.log";
    private static final String STATE = "state.properties";

    private final Path dir;
    private final AvroSerde<CrystalFeatures> serde = AvroSerde.of(CrystalFeatures.class);
    private final Map<String, FeaturizedCrystal> byId = new LinkedHashMap<>();
    private final Map<TopicPartition, Long> offsets = new HashMap<>();
    private long logEntries;
    private long changesSinceTraining;
    private FileOutputStream fileOut;
    private DataOutputStream out;

    public LocalCorpus(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        load();
        open(true);
    }

    private void load() throws IOException {
        Path state = dir.resolve(STATE);
        if (Files.exists(state)) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(state)) {
                p.load(in);
            }
            for (String k : p.stringPropertyNames()) {
                if (k.startsWith("offset.")) {
                    String tp = k.substring("offset.".length());
                    int dash = tp.lastIndexOf('-');
                    offsets.put(new TopicPartition(tp.substring(0, dash), Integer.parseInt(tp.substring(dash + 1))),
                            Long.parseLong(p.getProperty(k)));
                }
            }
            changesSinceTraining = Long.parseLong(p.getProperty("changes.since.training", "0"));
        }
        Path logFile = dir.resolve(LOG);
        if (!Files.exists(logFile)) {
            return;
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(logFile), 1 << 16))) {
            while (true) {
                String id;
                int len;
                byte[] b;
                try {
                    id = in.readUTF();
                    len = in.readInt();
                    b = len >= 0 ? in.readNBytes(len) : null;
                    if (b != null && b.length != len) {
                        break; // torn tail
                    }
                } catch (EOFException e) {
                    break;
                }
                logEntries++;
                if (b == null) {
                    byId.remove(id);
                } else {
                    byId.put(id, FeaturizedCrystal.fromAvro(serde.fromBytes(b)));
                }
            }
        }
        log.info("corpus {}: {} structures restored ({} log entries), resuming at {}", dir, byId.size(), logEntries,
                offsets);
    }

    private void open(boolean append) throws IOException {
        fileOut = new FileOutputStream(dir.resolve(LOG).toFile(), append);
        out = new DataOutputStream(new BufferedOutputStream(fileOut, 1 << 16));
    }

    /** Applies one record of the features topic (null = tombstone). */
    @Override
    public synchronized void apply(String id, CrystalFeatures value) throws IOException {
        if (id == null) {
            return;
        }
        out.writeUTF(id);
        if (value == null) {
            out.writeInt(-1);
            byId.remove(id);
        } else {
            byte[] b = serde.toBytes(value);
            out.writeInt(b.length);
            out.write(b);
            byId.put(id, FeaturizedCrystal.fromAvro(value));
            changesSinceTraining++;
        }
        logEntries++;
    }

    /** Persists the log and then the consumer positions (the next offset to read per partition). */
    @Override
    public synchronized void checkpoint(Map<TopicPartition, Long> positions) throws IOException {
        offsets.putAll(positions);
        out.flush();
        fileOut.getFD().sync();
        if (logEntries > 2L * byId.size() + 1000) {
            rewrite();
        }
        writeState();
    }

    private void writeState() throws IOException {
        Properties p = new Properties();
        offsets.forEach((tp, o) -> p.setProperty("offset." + tp.topic() + "-" + tp.partition(), Long.toString(o)));
        p.setProperty("changes.since.training", Long.toString(changesSinceTraining));
        Path tmp = dir.resolve(STATE + ".tmp");
        try (OutputStream o = Files.newOutputStream(tmp)) {
            p.store(o, "dimstream trainer corpus state");
        }
        Files.move(tmp, dir.resolve(STATE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void rewrite() throws IOException {
        out.close();
        Path tmp = dir.resolve(LOG + ".tmp");
        try (DataOutputStream o = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
            for (FeaturizedCrystal f : byId.values()) {
                byte[] b = serde.toBytes(f.toAvro(0, 0));
                o.writeUTF(f.id());
                o.writeInt(b.length);
                o.write(b);
            }
        }
        Files.move(tmp, dir.resolve(LOG), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        logEntries = byId.size();
        open(true);
    }

    /** Saved positions (next offset to read) per partition. */
    @Override
    public synchronized Map<TopicPartition, Long> offsets() {
        return new HashMap<>(offsets);
    }

    @Override
    public synchronized long size() {
        return byId.size();
    }

    @Override
    public synchronized long changesSinceTraining() {
        return changesSinceTraining;
    }

    /** Marks the corpus as trained on (resets the change counter; persisted at the next checkpoint). */
    @Override
    public synchronized void markTrained() throws IOException {
        changesSinceTraining = 0;
        writeState();
    }

    @Override
    public void forEach(java.util.function.Consumer<FeaturizedCrystal> action) {
        snapshot().forEach(action);
    }

    /** The structures, in a stable order (by id). */
    public synchronized List<FeaturizedCrystal> snapshot() {
        List<FeaturizedCrystal> l = new ArrayList<>(byId.values());
        l.sort(java.util.Comparator.comparing(FeaturizedCrystal::id));
        return l;
    }

    @Override
    public synchronized void close() throws IOException {
        out.flush();
        out.close();
    }
}
