package io.dimstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The named weights of the encoder and critics, held as DJL arrays in one manager. Created from a seed
 * (PyTorch-Linear-style uniform init, drawn by {@link java.util.Random} so it is engine independent) or
 * from host copies (checkpoint / warm start). Names are stable: the ONNX exporter and checkpoints use them.
 */
public final class Params implements AutoCloseable {
    /** Host copy of one tensor. */
    public record Tensor(long[] shape, float[] data) {}

    private final NDManager manager;
    private final Map<String, NDArray> arrays = new LinkedHashMap<>();

    private Params(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    /** Fresh weights for {@code cfg}, deterministic in {@code seed}. */
    public static Params init(NDManager parent, SiteNetConfig cfg, long seed) {
        return fromHost(parent, initHost(cfg, seed));
    }

    /** Fresh weights as host copies (no engine needed; e.g. to export an untrained model for benchmarks). */
    public static Map<String, Tensor> initHost(SiteNetConfig cfg, long seed) {
        Map<String, Tensor> host = new LinkedHashMap<>();
        Random r = new Random(seed);
        int f = cfg.featureDim();
        int h = cfg.siteDim();
        int in = cfg.interactionDim();
        int p = cfg.pairHidden();
        int v = cfg.valueDim();
        int l = cfg.localDim();
        hidden(host, r, "site", f, h, f);
        hidden(host, r, "int", 1, in, 1);
        for (String pair : List.of("att", "val")) {
            int fan = 2 * h + in;
            host.put(pair + ".Wa", uniform(r, fan, h, p));
            host.put(pair + ".Wb", uniform(r, fan, h, p));
            host.put(pair + ".Wc", uniform(r, fan, in, p));
            host.put(pair + ".b", uniform(r, fan, p));
            host.put(pair + ".g", constant(1f, p));
            host.put(pair + ".beta", constant(0f, p));
        }
        linear(host, r, "att.out", p, 1);
        linear(host, r, "val.out", p, v);
        linear(host, r, "mu", v, l);
        linear(host, r, "lv", v, l);
        int prev = l;
        for (int k = 0; k < cfg.globalHidden().size(); k++) {
            int w = cfg.globalHidden().get(k);
            hidden(host, r, "glob." + k, prev, w, prev);
            prev = w;
        }
        hidden(host, r, "glob.pool", prev, cfg.globalDim(), prev);
        linear(host, r, "emb", cfg.globalDim(), cfg.embeddingDim());
        linear(host, r, "glv", cfg.globalDim(), cfg.embeddingDim());
        // local critic: f(z) 32->64->128, g([site features of j ; d_ij]) 10->64->128 (first layer split)
        int ch = cfg.criticHidden();
        int cd = cfg.criticDim();
        linear(host, r, "lc.f1", l, ch);
        linear(host, r, "lc.f2", ch, cd);
        host.put("lc.g1s.W", uniform(r, f + 1, f, ch));
        host.put("lc.g1d.W", uniform(r, f + 1, 1, ch));
        host.put("lc.g1.b", uniform(r, f + 1, ch));
        linear(host, r, "lc.g2", ch, cd);
        // global critic: a(G) 64->64->128, b(local) 32->64->128
        linear(host, r, "gc.a1", cfg.embeddingDim(), ch);
        linear(host, r, "gc.a2", ch, cd);
        linear(host, r, "gc.b1", l, ch);
        linear(host, r, "gc.b2", ch, cd);
        return host;
    }

    /**
     * The composition decoder of the composition loss (embedding → 256 → 118, Mish between), drawn from its
     * own random stream so the encoder and critic weights of a seed are the same with or without it.
     */
    public static Map<String, Tensor> compositionDecoderHost(SiteNetConfig cfg, long seed) {
        Map<String, Tensor> host = new LinkedHashMap<>();
        Random r = new Random(seed ^ 0x636F6D70L);
        linear(host, r, "comp.1", cfg.embeddingDim(), 256);
        linear(host, r, "comp.2", 256, 118);
        return host;
    }

    /** Adds the tensors of {@code host} this set lacks (e.g. a decoder a checkpoint was trained without). */
    public int addMissing(Map<String, Tensor> host) {
        int added = 0;
        for (Map.Entry<String, Tensor> e : host.entrySet()) {
            if (!arrays.containsKey(e.getKey())) {
                NDArray a = manager.create(e.getValue().data(), new Shape(e.getValue().shape()));
                a.setName(e.getKey());
                arrays.put(e.getKey(), a);
                added++;
            }
        }
        return added;
    }

    /** Weights from host copies (checkpoint, warm start). */
    public static Params fromHost(NDManager parent, Map<String, Tensor> host) {
        Params ps = new Params(parent);
        host.forEach((name, t) -> {
            NDArray a = ps.manager.create(t.data(), new Shape(t.shape()));
            a.setName(name);
            ps.arrays.put(name, a);
        });
        return ps;
    }

    private static void hidden(Map<String, Tensor> host, Random r, String name, int in, int out, int fan) {
        host.put(name + ".W", uniform(r, fan, in, out));
        host.put(name + ".b", uniform(r, fan, out));
        host.put(name + ".g", constant(1f, out));
        host.put(name + ".beta", constant(0f, out));
    }

    private static void linear(Map<String, Tensor> host, Random r, String name, int in, int out) {
        host.put(name + ".W", uniform(r, in, in, out));
        host.put(name + ".b", uniform(r, in, out));
    }

    /** PyTorch-Linear-style uniform init: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) from {@code r}, row-major. */
    public static Tensor uniform(Random r, int fanIn, long... shape) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float bound = (float) (1.0 / Math.sqrt(fanIn));
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (r.nextFloat() * 2f - 1f) * bound;
        }
        return new Tensor(shape, a);
    }

    private static Tensor constant(float c, long... shape) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] a = new float[n];
        java.util.Arrays.fill(a, c);
        return new Tensor(shape, a);
    }

    public NDArray get(String name) {
        NDArray a = arrays.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no parameter " + name);
        }
        return a;
    }

    public boolean has(String name) {
        return arrays.containsKey(name);
    }

    public Map<String, NDArray> all() {
        return arrays;
    }

    /** Parameters whose names start with one of the prefixes. */
    public List<NDArray> withPrefix(String... prefixes) {
        List<NDArray> out = new ArrayList<>();
        arrays.forEach((n, a) -> {
            for (String pre : prefixes) {
                if (n.startsWith(pre)) {
                    out.add(a);
                    return;
                }
            }
        });
        return out;
    }

    public void attachGradients() {
        arrays.values().forEach(a -> a.setRequiresGradient(true));
    }

    public long count() {
        return arrays.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    public NDManager manager() {
        return manager;
    }

    /** Host copies of all weights. */
    public Map<String, Tensor> toHost() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        arrays.forEach((n, a) -> out.put(n, new Tensor(a.getShape().getShape(), a.toFloatArray())));
        return out;
    }

    public static void writeHost(DataOutputStream out, Map<String, Tensor> host) throws IOException {
        out.writeInt(host.size());
        for (Map.Entry<String, Tensor> e : host.entrySet()) {
            out.writeUTF(e.getKey());
            long[] s = e.getValue().shape();
            out.writeInt(s.length);
            for (long d : s) {
                out.writeLong(d);
            }
            float[] d = e.getValue().data();
            out.writeInt(d.length);
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(d.length * 4);
            bb.asFloatBuffer().put(d);
            out.write(bb.array());
        }
    }

    public static Map<String, Tensor> readHost(DataInputStream in) throws IOException {
        int n = in.readInt();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int k = 0; k < n; k++) {
            String name = in.readUTF();
            long[] s = new long[in.readInt()];
            for (int i = 0; i < s.length; i++) {
                s[i] = in.readLong();
            }
            int len = in.readInt();
            byte[] b = new byte[len * 4];
            in.readFully(b);
            float[] d = new float[len];
            java.nio.ByteBuffer.wrap(b).asFloatBuffer().get(d);
            out.put(name, new Tensor(s, d));
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
