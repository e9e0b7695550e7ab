package io.dimstream.cli.bench;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.kafka.Topics;
import io.dimstream.ingest.IngestStats;
import io.dimstream.ingest.Ingestor;
import io.dimstream.ingest.file.FileSource;
import io.dimstream.ingest.kafka.IngestKafka;
import io.dimstream.ingest.kafka.TransactionalKafkaIngest;
import io.dimstream.heads.FittedHead;
import io.dimstream.heads.RidgeLooTrainer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dimstream bench ingest}: end-to-end ingestion throughput into an embedded broker on 127.0.0.1 —
 * read CSV.gz, parse-check every CIF, hash, produce and commit records + hashes + watermark in one transaction per 1000-record batch —
 * for a fresh import and for a full re-read where everything is unchanged. Then the ridge head: exact leave-one-out
 * fit time on synthetic embeddings of the given size.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Ingest throughput into an embedded broker (records/s, median of --runs), and ridge-head fit time.")
public final class IngestBench implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "CSV", description = "CSV(.gz) with a cif column (default: shared train.csv.gz).")
    Path data;

    @Option(names = "--runs", defaultValue = "3")
    int runs;

    @Option(names = "--ridge-n", defaultValue = "29370", description = "Rows for the ridge fit benchmark (default ${DEFAULT-VALUE}).")
    int ridgeN;

    @Option(names = "--ridge-dim", defaultValue = "128", description = "Embedding dimension for the ridge benchmark.")
    int ridgeDim;

    @Override
    public Integer call() throws Exception {
        Path path = data != null ? data : BenchCommand.defaultData("train.csv.gz");
        if (path == null) {
            System.err.println("bench ingest: no --data given and shared data/train.csv.gz not found");
            return 2;
        }
        double[] fresh = new double[runs];
        double[] again = new double[runs];
        long n = 0;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().tempDir().build().start()) {
            for (int r = 0; r < runs; r++) {
                Map<String, Object> kafka = new HashMap<>(Map.of("bootstrap.servers", broker.bootstrapServers()));
                Map<String, Object> t = new HashMap<>();
                t.put(Topics.RAW_CONFIG, "bench.raw." + r);
                t.put(Topics.LABELS_CONFIG, "bench.labels." + r);
                IngestKafka.ensureTopics(kafka, Topics.from(t), 3);
                for (int pass = 0; pass < 2; pass++) {
                    // pass 1 starts without a watermark (own watermark topic) but with the hashes of pass 0
                    try (TransactionalKafkaIngest tx = new TransactionalKafkaIngest(kafka, "bench.raw." + r, "bench.labels." + r,
                            "bench.wm." + r + "." + pass, "bench.hash." + r, 3, "bench-" + r + "-" + pass)) {
                        long t0 = System.nanoTime();
                        IngestStats s = new Ingestor(new FileSource(List.of(path), 1000, 0), tx, tx, null).runOnce();
                        double rate = s.read() / ((System.nanoTime() - t0) / 1e9);
                        n = s.read();
                        System.out.printf(Locale.ROOT, "  run %d %s: %s -> %,.0f rec/s%n", r + 1,
                                pass == 0 ? "fresh  " : "re-read", s.summary(), rate);
                        if (pass == 0) {
                            fresh[r] = rate;
                        } else {
                            again[r] = rate;
                        }
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "ingest %s (%d records): median %,.0f rec/s fresh import, %,.0f rec/s re-read (all unchanged)%n",
                path.getFileName(), n, ParseBench.median(fresh), ParseBench.median(again));

        Random rnd = new Random(1);
        double[][] x = new double[ridgeN][ridgeDim];
        double[] y = new double[ridgeN];
        for (int i = 0; i < ridgeN; i++) {
            for (int k = 0; k < ridgeDim; k++) {
                x[i][k] = rnd.nextGaussian();
            }
            y[i] = x[i][0] - 0.5 * x[i][1] + 0.1 * rnd.nextGaussian();
        }
        double[] secs = new double[runs];
        FittedHead f = null;
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            f = new RidgeLooTrainer().fit(x, y);
            secs[r] = (System.nanoTime() - t0) / 1e9;
        }
        System.out.printf(Locale.ROOT, "ridge head: n=%d, d=%d, exact LOO over 12 alphas + fit: median %.2f s (cv MAE %.4f)%n",
                ridgeN, ridgeDim, ParseBench.median(secs), f.cvMae());
        return 0;
    }
}
