package io.dimstream.search;

import io.dimstream.core.kafka.ServiceConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/**
 * Typed configuration of the search service ({@code ./dimstream search}); any other key goes to the Kafka
 * clients (security settings etc.). See docs/search.md.
 */
public final class SearchConfig extends ServiceConfig {

    public static final String HTTP_BIND = "http.bind.address";
    public static final String HTTP_PORT = "http.port";
    public static final String DATA_DIR = "data.dir";
    public static final String INDEX_TYPE = "index.type";
    public static final String HNSW_M = "hnsw.m";
    public static final String HNSW_BEAM = "hnsw.beam.width";
    public static final String HNSW_CANDIDATES = "hnsw.candidates";
    public static final String MODEL_NAME = "model.name";
    public static final String STREAMS_APP_ID = "streams.application.id";
    public static final String COMMIT_INTERVAL_MS = "commit.interval.ms";
    public static final String DUPLICATES_ENABLED = "duplicates.enabled";
    public static final String DUPLICATES_THRESHOLD = "duplicates.threshold";
    public static final String DUPLICATES_TOPIC = "topics.duplicates";
    public static final String ENCODER_DEVICE = "encoder.device";
    public static final String ENCODER_THREADS = "encoder.threads";
    public static final String SPACEGROUPS_FILE = "spacegroups.file";
    public static final String MAX_K = "max.k";

    /** Default near-duplicate threshold on the cosine distance (see docs/search.md, "Near duplicates"). */
    public static final double DEFAULT_DUPLICATE_THRESHOLD = 1e-5;

    public static final ConfigDef CONFIG_DEF = configDef();

    private static ConfigDef configDef() {
        ConfigDef d = new ConfigDef()
                .define(BOOTSTRAP_SERVERS, Type.STRING, "127.0.0.1:9092", Importance.HIGH, "Kafka bootstrap servers.")
                .define(HTTP_BIND, Type.STRING, "127.0.0.1", Importance.HIGH,
                        "Interface the HTTP API and page bind (loopback by default; 0.0.0.0 only behind a proxy or in a container).")
                .define(HTTP_PORT, Type.INT, 8470, Range.between(0, 65535), Importance.HIGH, "HTTP port (0 = any free port).")
                .define(DATA_DIR, Type.STRING, System.getProperty("java.io.tmpdir") + "/dimstream-search", Importance.HIGH,
                        "Where the per-version Lucene indexes and the metadata index (with the consumer offsets) live.")
                .define(INDEX_TYPE, Type.STRING, "hnsw", ValidString.in("hnsw", "exact"), Importance.MEDIUM,
                        "Default search: hnsw (Lucene HNSW graph, approximate) or exact (brute force); ?exact=true per request.")
                .define(HNSW_M, Type.INT, 16, Range.between(2, 512), Importance.LOW, "HNSW graph degree (M).")
                .define(HNSW_BEAM, Type.INT, 100, Range.between(2, 3200), Importance.LOW, "HNSW construction beam width.")
                .define(HNSW_CANDIDATES, Type.INT, 100, Range.between(1, 10_000), Importance.LOW,
                        "Candidates per HNSW search (ef-search; at least k).")
                .define(MODEL_NAME, Type.STRING, "sitenet-dim", new ConfigDef.NonEmptyString(), Importance.HIGH,
                        "Model whose embeddings are indexed.")
                .define(STREAMS_APP_ID, Type.STRING, "dimstream-streams", new ConfigDef.NonEmptyString(), Importance.HIGH,
                        "application.id of the streams app: its backfill-progress changelog tells when a version's backfill is complete.")
                .define(COMMIT_INTERVAL_MS, Type.LONG, 5000L, Range.atLeast(100), Importance.LOW,
                        "How often the indexes and the consumer offsets are committed to disk.")
                .define(DUPLICATES_ENABLED, Type.BOOLEAN, false, Importance.MEDIUM,
                        "Publish near duplicates of newly embedded structures to topics.duplicates.")
                .define(DUPLICATES_THRESHOLD, Type.DOUBLE, DEFAULT_DUPLICATE_THRESHOLD, Range.between(0.0, 2.0), Importance.MEDIUM,
                        "A structure whose nearest neighbour is closer than this cosine distance is a near duplicate.")
                .define(DUPLICATES_TOPIC, Type.STRING, "crystals.duplicates", new ConfigDef.NonEmptyString(), Importance.LOW,
                        "Topic of the near-duplicate reports.")
                .define(ENCODER_DEVICE, Type.STRING, "cpu", Importance.LOW, "ONNX Runtime device for uploaded CIFs.")
                .define(ENCODER_THREADS, Type.INT, 1, Range.atLeast(0), Importance.LOW, "ONNX Runtime threads for uploaded CIFs.")
                .define(SPACEGROUPS_FILE, Type.STRING, "", Importance.LOW,
                        "Optional CSV(.gz) with columns id and spacegroup (e.g. tools/data/prototypes.csv.gz, spglib): shown in results.")
                .define(MAX_K, Type.INT, 1000, Range.between(1, 100_000), Importance.LOW, "Largest k a request may ask for.");
        defineTopicCreation(d, "search service");
        defineTopicNames(d);
        io.dimstream.core.ops.OpsConfigDef.addTo(d, SearchOps.PORT); // metrics.port, metrics.bind.address, ...
        return d;
    }

    public SearchConfig(Map<?, ?> props) {
        super(CONFIG_DEF, props);
    }

    public static SearchConfig load(Path file, Map<String, String> overrides) throws IOException {
        return new SearchConfig(read(file, overrides));
    }

    public Path dataDir() {
        return Path.of(getString(DATA_DIR));
    }

    public HnswIndex.Params hnsw() {
        return new HnswIndex.Params(getInt(HNSW_M), getInt(HNSW_BEAM), getInt(HNSW_CANDIDATES));
    }

    /** The streams app's backfill-progress changelog topic. */
    public String backfillChangelog() {
        return getString(STREAMS_APP_ID) + "-backfill-progress-changelog";
    }
}
