package io.dimstream.cli.bench;

import io.dimstream.core.Sha256;
import io.dimstream.core.crystal.Element;
import io.dimstream.core.crystal.Lattice;
import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.onnx.OnnxExporter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dimstream bench large-cells}: featurization and embedding time per structure, and the process's
 * peak memory, for cells of S = 100..1,000 primitive sites (per-site neighbour lists, featurizer v2).
 */
@Command(name = "large-cells", mixinStandardHelpOptions = true,
        description = "Time per structure (featurize, embed alone) and peak process memory for large cells of "
                + "S primitive sites: random triclinic cells of Li/Fe/O at 0.08 atoms per cubic Angstrom, "
                + "K = 50 neighbours per site; sizes in increasing order, median of --repeats structures each.")
public final class LargeCellBench implements Callable<Integer> {
    @Option(names = "--sizes", defaultValue = "100,250,500,1000", split = ",",
            description = "Primitive-cell sizes S (default: ${DEFAULT-VALUE}).")
    List<Integer> sizes;

    @Option(names = "--repeats", defaultValue = "5", description = "Structures per size (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--threads", defaultValue = "1",
            description = "ONNX Runtime threads per call (default: ${DEFAULT-VALUE}, as the product; a batch's calls run one per core).")
    int threads;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory (default: an untrained default-architecture model; speed does not depend on weights).")
    Path model;

    /** A random P1 cell of s sites at 0.08 atoms/Å³, no two sites closer than ~1.3 Å (jittered grid). */
    static Structure randomCell(int s, long seed) {
        Random r = new Random(seed);
        double volume = s / 0.08;
        double a = Math.cbrt(volume);
        Lattice l = Lattice.fromParameters(a * 0.95, a * 1.02, a * 1.03, 86, 94, 97);
        int g = (int) Math.ceil(Math.cbrt(s));
        List<int[]> cells = new ArrayList<>();
        for (int x = 0; x < g; x++) {
            for (int y = 0; y < g; y++) {
                for (int z = 0; z < g; z++) {
                    cells.add(new int[] {x, y, z});
                }
            }
        }
        Collections.shuffle(cells, r);
        Element[] els = {Element.Li, Element.Fe, Element.O, Element.O};
        List<Site> sites = new ArrayList<>();
        for (int i = 0; i < s; i++) {
            int[] c = cells.get(i);
            sites.add(Site.of(els[i % 4], (c[0] + 0.2 + 0.4 * r.nextDouble()) / g,
                    (c[1] + 0.2 + 0.4 * r.nextDouble()) / g, (c[2] + 0.2 + 0.4 * r.nextDouble()) / g));
        }
        return new Structure("large-" + s + "-" + seed, l, sites);
    }

    @Override
    public Integer call() throws Exception {
        SiteNetFeaturizer fz = new SiteNetFeaturizer();
        SiteNetConfig cfg = SiteNetConfig.defaults();
        byte[] onnx = OnnxExporter.export(cfg, Params.initHost(cfg, 1), "bench-untrained", 1);
        ModelMetadata meta = new ModelMetadata("bench-untrained", 1, SiteNetFeaturizer.VERSION, cfg.featureDim(),
                cfg.embeddingDim(), cfg.localDim(), OnnxExporter.inputs(cfg), OnnxExporter.outputs(cfg), Map.of(),
                Sha256.hex(onnx), null, cfg.toMap());
        OnnxEncoder.Options opts = OnnxEncoder.Options.defaults().withDevice("cpu").withThreads(threads);
        System.out.printf("bench large-cells: %d threads, K = %d, %d structures per size, %s%n", threads,
                fz.config().maxSupercellAtoms(), repeats, BenchData.load());
        System.out.println("S      pairs   featurize_ms  embed_ms  rss_MiB  peak_rss_MiB");
        try (OnnxEncoder enc = model == null ? OnnxEncoder.fromBytes(onnx, meta, opts) : OnnxEncoder.load(model, opts)) {
            // warm-up on a small large cell
            enc.embed(List.of(fz.featurize(randomCell(80, 99), "w", "bench")));
            for (int s : sizes) {
                List<Double> fms = new ArrayList<>();
                List<Double> ems = new ArrayList<>();
                long pairs = 0;
                for (int k = 0; k < repeats; k++) {
                    Structure st = randomCell(s, k);
                    long t0 = System.nanoTime();
                    FeaturizedCrystal f = fz.featurize(st, st.id(), "bench");
                    long t1 = System.nanoTime();
                    enc.embed(List.of(f));
                    long t2 = System.nanoTime();
                    fms.add((t1 - t0) / 1e6);
                    ems.add((t2 - t1) / 1e6);
                    pairs = (long) f.primSites() * f.supercellSites();
                }
                Collections.sort(fms);
                Collections.sort(ems);
                System.out.printf("%-6d %-7d %-13.1f %-9.1f %-8d %d%n", s, pairs, fms.get(fms.size() / 2),
                        ems.get(ems.size() / 2), BenchData.kib("VmRSS") / 1024, BenchData.kib("VmHWM") / 1024);
            }
        }
        return 0;
    }
}
