package io.dimstream.cli.bench;

import io.dimstream.core.Sha256;
import io.dimstream.core.encoder.EncoderException;
import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.encoder.Precision;
import io.dimstream.core.encoder.PrecisionContract;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.onnx.OnnxExporter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dimstream bench embed}: ONNX Runtime embedding throughput at several batch sizes. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Embedding throughput (structures/s, featurization excluded) of OnnxEncoder on featurized "
                + "structures, per batch size; median of --repeats passes.")
public final class EmbedBench implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory (default: an untrained default-architecture model; speed does not depend on weights).")
    Path model;

    @Option(names = "--data", paramLabel = "CSV", description = "CIF corpus (default: shared train.csv.gz).")
    Path data;

    @Option(names = "--structures", defaultValue = "2048", description = "Structures (default: ${DEFAULT-VALUE}).")
    int structures;

    @Option(names = "--batch", defaultValue = "1,256", split = ",", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--threads", defaultValue = "1",
            description = "ONNX Runtime threads per call (default: ${DEFAULT-VALUE}, as the product; a batch's calls run one per core).")
    int threads;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, auto or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--max-pairs", defaultValue = "0",
            description = "Cap on padded pairs per ONNX Runtime call (0 = the encoder's default).")
    long maxPairs;

    @Option(names = "--precision", defaultValue = "fp32", split = ",",
            description = "Graph precisions to compare in this run: fp32, int8, fp16, bf16 (default: ${DEFAULT-VALUE}). "
                    + "Each reduced one also reports its per-crystal cosine similarity to fp32.")
    List<String> precisions;

    @Option(names = "--profile", paramLabel = "DIR",
            description = "Write ONNX Runtime's per-node trace of the last timed pass into DIR and print time per op type.")
    Path profile;

    @Option(names = "--plain-layer-norm", description = "Also measure each precision without the load-time "
            + "Mish + LayerNorm fusion (the graph as exported), for a before/after comparison.")
    boolean plainLayerNorm;

    @Option(names = "--repeats", defaultValue = "3", description = "Timed passes per batch size (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Override
    public Integer call() throws Exception {
        List<FeaturizedCrystal> cs = BenchData.load(data, structures);
        Collections.shuffle(cs = new ArrayList<>(cs), new java.util.Random(1));
        System.out.println("bench embed: " + BenchData.sizes(cs) + ", " + threads + " threads, device " + device
                + ", model " + (model == null ? "untrained default architecture" : model));
        byte[] onnx = null;
        ModelMetadata meta = null;
        if (model == null) {
            SiteNetConfig cfg = SiteNetConfig.defaults().withFeatureDim(cs.get(0).featureDim());
            onnx = OnnxExporter.export(cfg, Params.initHost(cfg, 1), "bench-untrained", 1);
            meta = new ModelMetadata("bench-untrained", 1, cs.get(0).featurizerVersion(), cfg.featureDim(),
                    cfg.embeddingDim(), cfg.localDim(), OnnxExporter.inputs(cfg), OnnxExporter.outputs(cfg), Map.of(),
                    Sha256.hex(onnx), null, cfg.toMap());
        }
        float[][] reference = null;
        List<String> variants = new ArrayList<>();
        for (String label : precisions) {
            if (plainLayerNorm) {
                variants.add(label + "/plain");
            }
            variants.add(label);
        }
        for (String variant : variants) {
            boolean fused = !variant.endsWith("/plain");
            Precision precision = Precision.parse(variant.replace("/plain", ""));
            String name = fused ? precision.label() : precision.label() + " (plain LayerNorm)";
            for (int b : batches) {
                OnnxEncoder.Options opts = OnnxEncoder.Options.defaults().withDevice(device).withThreads(threads)
                        .withMaxBatch(b).withPrecision(precision).withFusedLayerNorm(fused);
                if (maxPairs > 0) {
                    opts = opts.withMaxPairsPerBatch(maxPairs);
                }
                if (profile != null) {
                    java.nio.file.Files.createDirectories(profile);
                    opts = opts.withProfiling(profile.resolve("embed-" + precision.label() + (fused ? "" : "-plain") + "-b" + b)
                            .toString());
                }
                OnnxEncoder enc;
                try {
                    enc = model == null ? OnnxEncoder.fromBytes(onnx, meta, opts) : OnnxEncoder.load(model, opts);
                } catch (EncoderException e) {
                    System.out.printf("bench embed: %s: not measured: %s: %s%n", name, e.code(), e.getMessage());
                    break;
                }
                try (enc) {
                    int n = b == 1 ? Math.min(cs.size(), 512) : cs.size();
                    run(enc, cs.subList(0, Math.min(n, 256)), b); // warm-up
                    List<Double> rates = new ArrayList<>();
                    List<Double> perCpu = new ArrayList<>();
                    float[][] last = null;
                    for (int r = 0; r < repeats; r++) {
                        long t0 = System.nanoTime();
                        long c0 = BenchData.cpuNanos();
                        last = run(enc, cs.subList(0, n), b);
                        rates.add(n / ((System.nanoTime() - t0) / 1e9));
                        perCpu.add(n / ((BenchData.cpuNanos() - c0) / 1e9));
                    }
                    Collections.sort(perCpu);
                    Collections.sort(rates);
                    System.out.printf("bench embed: %s batch %d: %.0f structures/s (median of %d passes over %d structures; "
                            + "min %.0f, max %.0f)%n", name, b, rates.get(rates.size() / 2), repeats, n,
                            rates.get(0), rates.get(rates.size() - 1));
                    System.out.printf("bench embed: %s batch %d: %.0f structures per process CPU-second (%s)%n",
                            name, b, perCpu.get(perCpu.size() / 2), BenchData.load());
                    if (precision == Precision.FP32 && reference == null && n == cs.size()) {
                        reference = last; // the first fp32 variant measured (plain LayerNorm when asked for)
                    } else if (reference != null && last.length == reference.length) {
                        double[] cos = PrecisionContract.cosines(reference, last);
                        System.out.printf("bench embed: %s batch %d: cosine to the first fp32 variant per crystal: min %.5f, p1 %.5f, "
                                + "median %.5f over %d crystals%n", name, b, cos[0],
                                cos[(int) (0.01 * (cos.length - 1))], cos[cos.length / 2], cos.length);
                    }
                    if (profile != null) {
                        Path trace = enc.endProfiling();
                        System.out.println("bench embed: " + name + " batch " + b + ": ONNX Runtime trace "
                                + trace + " (" + repeats + " timed passes + warm-up)");
                        for (String line : OrtProfile.summarize(trace, 12)) {
                            System.out.println("  " + line);
                        }
                    }
                }
            }
        }
        return 0;
    }

    private static float[][] run(OnnxEncoder enc, List<FeaturizedCrystal> cs, int batch) {
        float[][] out = new float[cs.size()][];
        for (int from = 0; from < cs.size(); from += batch) {
            float[][] e = enc.embed(cs.subList(from, Math.min(cs.size(), from + batch)));
            System.arraycopy(e, 0, out, from, e.length);
        }
        return out;
    }
}
