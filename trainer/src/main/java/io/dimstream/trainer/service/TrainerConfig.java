package io.dimstream.trainer.service;

import io.dimstream.core.kafka.ServiceConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Typed configuration of the trainer service ({@link #CONFIG_DEF}: name, type, default, validator,
 * description per field). Keys that are not trainer fields pass straight to the Kafka clients
 * (e.g. {@code security.protocol}, {@code ssl.*}, {@code sasl.*}).
 */
public final class TrainerConfig extends ServiceConfig {

    public static final String MODEL_NAME = "model.name";
    public static final String DATA_DIR = "trainer.dir";
    public static final String LEASE_TOPIC = "topics.trainer.lease";
    public static final String INTERVAL_MS = "schedule.interval.ms";
    public static final String MIN_NEW = "min.new.structures";
    public static final String MIN_CORPUS = "min.corpus.size";
    public static final String BUDGET_SECONDS = "budget.seconds";
    public static final String BUDGET_STEPS = "budget.steps";
    public static final String VALIDATION_PERCENT = "validation.percent";
    public static final String GATE_TOLERANCE = "gate.max.loss.increase";
    public static final String PARITY_TOLERANCE = "parity.tolerance";
    public static final String MODEL_ARCH = "model.arch";
    public static final String SEED = "train.seed";
    public static final String WARM_START_BASE = "trainer.warm.start.base";
    public static final String TRAIN_DEVICE = "train.device";
    public static final String DRIFT_THRESHOLD = "drift.threshold";
    public static final String DRIFT_MIN_STRUCTURES = "drift.min.structures";
    public static final String DRIFT_CHECK_INTERVAL_MS = "drift.check.interval.ms";
    public static final String DRIFT_RESERVOIR = "drift.reservoir.size";
    public static final String CORPUS_STORE = "corpus.store";
    public static final String CORPUS_DIR = "corpus.dir";
    public static final String CORPUS_CACHE_MB = "corpus.cache.mb";
    public static final String CORPUS_BLOCK_SIZE = "corpus.block.size";
    public static final String CORPUS_VALIDATION_MAX = "corpus.validation.max";

    public static final ConfigDef CONFIG_DEF = configDef();

    private static ConfigDef configDef() {
        ConfigDef d = new ConfigDef()
                .define(BOOTSTRAP_SERVERS, Type.STRING, "127.0.0.1:9092", Importance.HIGH, "Kafka bootstrap servers.")
                .define(MODEL_NAME, Type.STRING, "sitenet-dim", new ConfigDef.NonEmptyString(), Importance.HIGH,
                        "Model name this trainer publishes (one active trainer per name).")
                .define(DATA_DIR, Type.STRING, "trainer-data", Importance.HIGH,
                        "Local directory: the corpus copy (corpus/) and trained versions (models/vN/).")
                .define(LEASE_TOPIC, Type.STRING, "models.trainer-lease", new ConfigDef.NonEmptyString(),
                        Importance.LOW, "One-partition topic whose consumer-group owner is the active trainer.")
                .define(INTERVAL_MS, Type.LONG, 10 * 60_000L, Range.atLeast(100), Importance.MEDIUM,
                        "T: how often the trainer considers retraining.")
                .define(MIN_NEW, Type.INT, 500, Range.atLeast(1), Importance.MEDIUM,
                        "K: retrain only when at least this many structures arrived or changed since the last run.")
                .define(MIN_CORPUS, Type.INT, 100, Range.atLeast(1), Importance.MEDIUM,
                        "Smallest corpus the first version is trained on.")
                .define(BUDGET_SECONDS, Type.INT, 300, Range.atLeast(1), Importance.MEDIUM,
                        "Wall-clock budget of one training run.")
                .define(BUDGET_STEPS, Type.INT, 2000, Range.atLeast(1), Importance.MEDIUM,
                        "Most optimizer steps of one training run.")
                .define(VALIDATION_PERCENT, Type.INT, 10, Range.between(1, 50), Importance.LOW,
                        "Share of the corpus (by id hash, stable across runs) held out for the gate.")
                .define(GATE_TOLERANCE, Type.DOUBLE, 0.0, Range.atLeast(0), Importance.MEDIUM,
                        "Relative increase of validation DIM loss over the serving version still accepted (0 = not worse).")
                .define(PARITY_TOLERANCE, Type.DOUBLE, 1e-3, Range.atLeast(0), Importance.LOW,
                        "Largest |trained - ONNX| embedding difference accepted.")
                .define(MODEL_ARCH, Type.STRING, "default", ConfigDef.ValidString.in("default", "tiny"),
                        Importance.MEDIUM, "Site-Net architecture of new models: default (paper size) or tiny.")
                .define(SEED, Type.LONG, 7L, Importance.LOW, "Base seed of training runs (plus the version).")
                .define(WARM_START_BASE, Type.STRING, io.dimstream.trainer.BaseModel.RELATIVE_DIR, Importance.MEDIUM,
                        "Pretrained model directory the first version warm-starts from (relative paths resolve against"
                        + " the dimstream home); 'none' = random initialisation. Skipped, with one log line, when"
                        + " missing or of another featurizer version or architecture.")
                .define(TRAIN_DEVICE, Type.STRING, "auto", (name, value) -> {
                            try {
                                io.dimstream.trainer.TrainConfig.defaults().withDevice((String) value);
                            } catch (IllegalArgumentException e) {
                                throw new org.apache.kafka.common.config.ConfigException(name, value, e.getMessage());
                            }
                        }, Importance.MEDIUM, "Where training runs: auto (GPU 0 when the PyTorch engine sees one, else"
                        + " the CPU), cpu, gpu or gpu:N; a missing GPU falls back to the CPU with one warning line. GPUs"
                        + " are visible only with a CUDA build of the native library (mvn -Pgpu-training + PYTORCH_FLAVOR).")
                .define(DRIFT_THRESHOLD, Type.DOUBLE, 0.05, Range.atLeast(0), Importance.MEDIUM,
                        "Train before the schedule when the structures that arrived since the last round drift from the"
                        + " corpus it trained on by more than this (Jensen-Shannon divergence in bits of element and"
                        + " site-count distributions, minus what an unshifted sample of that size shows; see"
                        + " DriftMonitor). 0 = off.")
                .define(DRIFT_MIN_STRUCTURES, Type.INT, 200, Range.atLeast(1), Importance.LOW,
                        "Fewest new structures the drift trigger judges.")
                .define(DRIFT_CHECK_INTERVAL_MS, Type.LONG, 30_000L, Range.atLeast(100), Importance.LOW,
                        "How often drift is measured (exported as dimstream_trainer_drift).")
                .define(DRIFT_RESERVOIR, Type.INT, 5000, Range.atLeast(100), Importance.LOW,
                        "Reference structures kept (reservoir sample) for the drift statistic's no-shift baseline.")
                .define(CORPUS_STORE, Type.STRING, "memory", ConfigDef.ValidString.in("memory", "disk"),
                        Importance.MEDIUM, "Where the trainer keeps its copy of the features topic: memory (every"
                        + " structure in the heap, ~7 KiB each for Materials Project structures; epochs planned over"
                        + " all of it) or disk (RocksDB under corpus.dir: memory bounded by corpus.cache.mb and"
                        + " corpus.block.size whatever the corpus size; epochs streamed in shuffled blocks). The two"
                        + " stores keep separate directories: switching re-reads the topic from the start once.")
                .define(CORPUS_DIR, Type.STRING, "", Importance.LOW,
                        "Directory of the disk corpus (corpus.store=disk); empty = <trainer.dir>/corpus-db.")
                .define(CORPUS_CACHE_MB, Type.INT, 64, Range.between(1, 1 << 20), Importance.LOW,
                        "Disk corpus: RocksDB block cache in MiB (data, index and filter blocks); with the 16 MiB of"
                        + " write buffers the bound on the store's native memory.")
                .define(CORPUS_BLOCK_SIZE, Type.INT, 4096, Range.atLeast(64), Importance.LOW,
                        "Disk corpus: structures per shuffled block of a streamed epoch (the most decoded structures"
                        + " held at a time; batches are planned within a block, so keep it well above a batch).")
                .define(CORPUS_VALIDATION_MAX, Type.INT, 5000, Range.atLeast(1), Importance.LOW,
                        "Disk corpus: most held-out structures the gate scores (the first of the validation.percent"
                        + " split in the store's hash order: deterministic, spread over the corpus). The rest of the"
                        + " held-out share is still never trained on.");
        defineTopicCreation(d, "trainer");
        defineTopicNames(d);
        io.dimstream.core.ops.OpsConfigDef.addTo(d, io.dimstream.core.ops.OpsConfig.TRAINER_PORT); // metrics.port, metrics.bind.address, model.signing.*
        return d;
    }

    public TrainerConfig(Map<?, ?> props) {
        super(CONFIG_DEF, props);
    }

    /** Reads a properties file, then applies {@code overrides} (e.g. from the command line). */
    public static TrainerConfig load(Path file, Map<String, String> overrides) throws IOException {
        return new TrainerConfig(read(file, overrides));
    }

    public Path dataDir() {
        return Path.of(getString(DATA_DIR));
    }

    /** Whether the corpus is kept on disk ({@link #CORPUS_STORE} = disk). */
    public boolean diskCorpus() {
        return "disk".equals(getString(CORPUS_STORE));
    }

    /** The disk corpus directory: {@link #CORPUS_DIR}, else {@code <trainer.dir>/corpus-db}. */
    public Path corpusDir() {
        String d = getString(CORPUS_DIR);
        return d.isBlank() ? dataDir().resolve("corpus-db") : Path.of(d);
    }

    /** Kafka client properties: bootstrap servers plus every non-trainer key. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> m = passThrough();
        m.put("bootstrap.servers", getString(BOOTSTRAP_SERVERS));
        return m;
    }
}
