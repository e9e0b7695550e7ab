package io.dimstream.trainer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model card of a pretrained model directory, written next to {@code model.json} by {@code pretrain}:
 * {@code card.json} (machine-readable), {@code MODEL_CARD.md} (the same, for people) and
 * {@code pretrain_ids.txt.gz} (every structure id the run trained or validated on, one per line, training
 * ids first; evaluations use it to detect test leakage).
 *
 * <p>card.json fields: {@code name}, {@code version}, {@code featurizerVersion}, {@code created},
 * {@code codeCommit} (git HEAD, or "unknown"), {@code codeDirty}, {@code data} (each input: path, kind,
 * bytes, sha256; a directory's sha256 is over its sorted "relative-path sha256" lines), {@code dataChanged}
 * (whether a resume saw other data), {@code structures} (featurized, skipped, train, validation, limit),
 * {@code idsFile}/{@code idsSha256}, {@code config} (the full training config), {@code budget},
 * {@code steps}, {@code epochs}, {@code structuresSeen}, {@code wallSeconds} (training wall time summed over
 * every invocation), {@code invocations}, {@code finalValidation} (all validation metrics), and
 * {@code evaluation} (free text, empty until {@code dimstream model card DIR --evaluation FILE.md}; reset
 * when the run is trained further or a new run replaces it, since it then describes other weights).
 */
public final class ModelCard {
    private static final Logger LOG = LoggerFactory.getLogger(ModelCard.class);
    public static final String JSON_FILE = "card.json";
    public static final String MD_FILE = "MODEL_CARD.md";
    public static final String IDS_FILE = "pretrain_ids.txt.gz";
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelCard() {}

    /** What {@code pretrain} knows about a finished invocation. */
    public record Run(String name, int version, List<Path> dataFiles, long limit, int featurized, int skipped,
            List<String> trainIds, List<String> valIds, TrainConfig config, Budget budget, TrainResult result) {}

    /**
     * Builds the card of {@code run}, carrying over invocations and (when the weights did not change) the
     * evaluation text from an earlier card in {@code dir}, and writes card.json, MODEL_CARD.md and the id file.
     */
    public static Map<String, Object> write(Path dir, Run run) throws IOException {
        Map<String, Object> previous = Files.isRegularFile(dir.resolve(JSON_FILE)) ? read(dir) : null;
        Files.createDirectories(dir);
        Path ids = dir.resolve(IDS_FILE);
        writeIds(ids, run.trainIds(), run.valIds());

        TrainResult r = run.result();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", run.name());
        c.put("version", run.version());
        c.put("featurizerVersion", r.featurizerVersion());
        c.put("created", Instant.now().toString());
        Path home = Path.of(System.getProperty("dimstream.home", "."));
        c.put("codeCommit", gitCommit(home));
        c.put("codeDirty", gitDirty(home));
        List<Map<String, Object>> data = new ArrayList<>();
        for (Path p : run.dataFiles()) {
            data.add(describe(p));
        }
        c.put("data", data);
        boolean dataChanged = previous != null && r.resumed() && !sameData(previous.get("data"), data);
        if (dataChanged) {
            LOG.warn("{}: the training data differ from the previous invocation's (sha256); the card records both",
                    dir);
        }
        c.put("dataChanged", dataChanged || (previous != null && r.resumed()
                && Boolean.TRUE.equals(previous.get("dataChanged"))));
        Map<String, Object> st = new LinkedHashMap<>();
        st.put("featurized", run.featurized());
        st.put("skipped", run.skipped());
        st.put("train", run.trainIds().size());
        st.put("validation", run.valIds().size());
        st.put("limit", run.limit());
        c.put("structures", st);
        c.put("idsFile", IDS_FILE);
        c.put("idsSha256", io.dimstream.core.Sha256.file(ids));
        c.put("config", run.config().toMap());
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("epochs", run.budget().epochs());
        b.put("maxSteps", run.budget().maxSteps());
        b.put("maxStructures", run.budget().maxStructures());
        b.put("minutesPerInvocation", run.budget().maxTime() == null ? 0 : run.budget().maxTime().toMillis() / 60_000.0);
        c.put("budget", b);
        c.put("steps", r.steps());
        c.put("epochs", r.epochs());
        c.put("structuresSeen", r.structuresSeen());
        c.put("wallSeconds", r.totalWallSeconds());
        int invocations = previous != null && r.resumed() && previous.get("invocations") instanceof Number n
                ? n.intValue() + 1 : 1;
        c.put("invocations", invocations);
        c.put("finalValidation", new LinkedHashMap<>(r.validation()));
        String evaluation = "";
        if (previous != null && previous.get("evaluation") instanceof String e && !e.isBlank()) {
            if (r.resumed() && previous.get("steps") instanceof Number s && s.longValue() == r.steps()) {
                evaluation = e;
            } else if (r.resumed()) {
                LOG.info("{}: the card's evaluation text was dropped: it described step {}, the model is now at step {}",
                        dir, previous.get("steps"), r.steps());
            } else {
                LOG.info("{}: the previous card's evaluation text was dropped: this is a new run", dir);
            }
        }
        c.put("evaluation", evaluation);
        writeFiles(dir, c);
        return c;
    }

    /** Replaces the evaluation text of the card in {@code dir} (card.json and MODEL_CARD.md). */
    public static Map<String, Object> setEvaluation(Path dir, String text) throws IOException {
        Map<String, Object> c = read(dir);
        c.put("evaluation", text.strip());
        writeFiles(dir, c);
        return c;
    }

    /**
     * Records a featurizer upgrade of the model in {@code dir} (see {@link ModelBundle#upgrade}): the card's
     * featurizerVersion becomes {@code to}, and an {@code upgrades} entry keeps what it was and when.
     * Does nothing when the directory has no card.
     */
    @SuppressWarnings("unchecked")
    public static void recordUpgrade(Path dir, int from, int to, String note) throws IOException {
        if (!Files.isRegularFile(dir.resolve(JSON_FILE))) {
            return;
        }
        Map<String, Object> c = read(dir);
        c.put("featurizerVersion", to);
        List<Object> ups = c.get("upgrades") instanceof List<?> l ? new ArrayList<>((List<Object>) l) : new ArrayList<>();
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("fromFeaturizerVersion", from);
        u.put("toFeaturizerVersion", to);
        u.put("at", java.time.Instant.now().toString());
        u.put("codeCommit", gitCommit(dir));
        u.put("note", note);
        ups.add(u);
        c.put("upgrades", ups);
        writeFiles(dir, c);
    }

    public static Map<String, Object> read(Path dir) throws IOException {
        Path f = dir.resolve(JSON_FILE);
        if (!Files.isRegularFile(f)) {
            throw new IOException(dir + " has no " + JSON_FILE);
        }
        return JSON.readValue(f.toFile(), new TypeReference<LinkedHashMap<String, Object>>() {});
    }

    /** The ids a model directory's pretraining saw (empty when it has no id file). */
    public static Set<String> readIds(Path dir) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        Path f = dir.resolve(IDS_FILE);
        if (!Files.isRegularFile(f)) {
            return out;
        }
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(f)),
                StandardCharsets.UTF_8))) {
            for (String l = in.readLine(); l != null; l = in.readLine()) {
                if (!l.isBlank()) {
                    out.add(l.strip());
                }
            }
        }
        return out;
    }

    private static void writeIds(Path file, List<String> train, List<String> val) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        // fixed gzip header (no mtime), so the same ids give the same bytes and sha256
        try (java.io.OutputStream raw = Files.newOutputStream(tmp);
                BufferedWriter w = new BufferedWriter(new OutputStreamWriter(new GZIPOutputStream(raw, 1 << 16),
                        StandardCharsets.UTF_8))) {
            for (String id : train) {
                w.write(id);
                w.write('\n');
            }
            for (String id : val) {
                w.write(id);
                w.write('\n');
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writeFiles(Path dir, Map<String, Object> c) throws IOException {
        Path tmp = dir.resolve(JSON_FILE + ".tmp");
        JSON.writeValue(tmp.toFile(), c);
        Files.move(tmp, dir.resolve(JSON_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(dir.resolve(MD_FILE), markdown(c), StandardCharsets.UTF_8);
    }

    /** MODEL_CARD.md from a card. */
    @SuppressWarnings("unchecked")
    public static String markdown(Map<String, Object> c) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Model card: ").append(c.get("name")).append(" v").append(c.get("version")).append("\n\n");
        sb.append("Deep InfoMax-pretrained Site-Net encoder (dimstream). Written by `dimstream pretrain`; ")
                .append("the machine-readable copy is `card.json`.\n\n");
        sb.append("| field | value |\n|---|---|\n");
        row(sb, "featurizer version", c.get("featurizerVersion"));
        row(sb, "code commit", c.get("codeCommit") + (Boolean.TRUE.equals(c.get("codeDirty")) ? " (uncommitted changes)"
                : ""));
        row(sb, "created", c.get("created"));
        Map<String, Object> st = (Map<String, Object>) c.get("structures");
        row(sb, "structures", st.get("featurized") + " featurized, " + st.get("skipped") + " skipped; "
                + st.get("train") + " train, " + st.get("validation") + " validation");
        row(sb, "ids seen", "`" + c.get("idsFile") + "` (sha256 `" + c.get("idsSha256") + "`)");
        row(sb, "steps", c.get("steps"));
        row(sb, "epochs", c.get("epochs"));
        row(sb, "structures seen", c.get("structuresSeen"));
        double wall = ((Number) c.get("wallSeconds")).doubleValue();
        row(sb, "wall time", String.format("%.0f s (%s), over %s invocation(s)", wall,
                DimTrainer.formatDuration(wall), c.get("invocations")));
        sb.append("\n## Training data\n\n| input | kind | bytes | sha256 |\n|---|---|---|---|\n");
        for (Map<String, Object> d : (List<Map<String, Object>>) c.get("data")) {
            sb.append("| `").append(d.get("path")).append("` | ").append(d.get("kind")).append(" | ")
                    .append(d.get("bytes")).append(" | `").append(d.get("sha256")).append("` |\n");
        }
        if (Boolean.TRUE.equals(c.get("dataChanged"))) {
            sb.append("\nThe data changed between invocations of this run.\n");
        }
        sb.append("\n## Final validation\n\n| metric | value |\n|---|---|\n");
        ((Map<String, Object>) c.get("finalValidation")).forEach((k, v) -> row(sb, k, v instanceof Number n
                ? String.format("%.4f", n.doubleValue()) : v));
        sb.append("\n## Configuration\n\n| setting | value |\n|---|---|\n");
        ((Map<String, Object>) c.get("config")).forEach((k, v) -> row(sb, k, v));
        ((Map<String, Object>) c.get("budget")).forEach((k, v) -> row(sb, "budget." + k, v));
        sb.append("\n## Evaluation\n\n");
        String ev = (String) c.get("evaluation");
        sb.append(ev == null || ev.isBlank() ? "_Not evaluated yet (`dimstream model card DIR --evaluation FILE.md`)._"
                : ev).append('\n');
        return sb.toString();
    }

    private static void row(StringBuilder sb, String k, Object v) {
        sb.append("| ").append(k).append(" | ").append(String.valueOf(v).replace("|", "\\|").replace("\n", " "))
                .append(" |\n");
    }

    @SuppressWarnings("unchecked")
    private static boolean sameData(Object previous, List<Map<String, Object>> now) {
        if (!(previous instanceof List<?> l) || l.size() != now.size()) {
            return false;
        }
        for (int i = 0; i < now.size(); i++) {
            if (!(l.get(i) instanceof Map<?, ?> m) || !String.valueOf(((Map<String, Object>) m).get("sha256"))
                    .equals(now.get(i).get("sha256"))) {
                return false;
            }
        }
        return true;
    }

    /** path, kind (file or directory), bytes and sha256 of one data input. */
    static Map<String, Object> describe(Path p) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", p.toString());
        if (Files.isDirectory(p)) {
            List<Path> files;
            try (Stream<Path> s = Files.walk(p)) {
                files = s.filter(Files::isRegularFile).sorted().toList();
            }
            StringBuilder lines = new StringBuilder();
            long bytes = 0;
            for (Path f : files) {
                lines.append(p.relativize(f).toString().replace('\\', '/')).append(' ').append(io.dimstream.core.Sha256.file(f)).append('\n');
                bytes += Files.size(f);
            }
            m.put("kind", "directory");
            m.put("files", files.size());
            m.put("bytes", bytes);
            m.put("sha256", io.dimstream.core.Sha256.hex(lines.toString().getBytes(StandardCharsets.UTF_8)));
        } else {
            m.put("kind", "file");
            m.put("bytes", Files.size(p));
            m.put("sha256", io.dimstream.core.Sha256.file(p));
        }
        return m;
    }

    /** {@code git rev-parse HEAD} in {@code dir}, or "unknown" (no git, not a checkout, timeout). */
    public static String gitCommit(Path dir) {
        String out = git(dir, "rev-parse", "HEAD");
        return out == null || !out.strip().matches("[0-9a-f]{40}") ? "unknown" : out.strip();
    }

    /** Whether tracked files in {@code dir}'s checkout differ from HEAD (false when unknown). */
    static boolean gitDirty(Path dir) {
        String out = git(dir, "status", "--porcelain", "--untracked-files=no");
        return out != null && !out.isBlank();
    }

    private static String git(Path dir, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("git");
        cmd.add("-C");
        cmd.add(dir.toAbsolutePath().toString());
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(false)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? new String(out, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
