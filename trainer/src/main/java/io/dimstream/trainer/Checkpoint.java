package io.dimstream.trainer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A resumable training state: architecture, weights, AdamW moments and the position in the run
 * (epoch, batch within the epoch, step, structures seen). Binary: magic, JSON header, tensors. Written
 * atomically (temp file + move) so a crash never leaves half a checkpoint.
 *
 * <p>There is no separate RNG state: the trainer derives each epoch's batch plan from (seed, epoch) and each
 * step's noise and false pairs from (seed, step), so the position plus the seed restores the random streams.
 *
 * <p>{@code run} holds the rest of the run's state, so a resumed run's history and schedule match an
 * uninterrupted one: {@code optimizerSteps} (AdamW's bias-correction count, which lags {@code step} when a
 * non-finite update was skipped), {@code wallSeconds} (training wall time summed over all invocations),
 * {@code epochLossSum}/{@code epochBatches} (the current epoch's partial train loss), {@code lossEma},
 * {@code lrSchedule} and {@code learningRate}. Empty in checkpoints of older versions and of bundles.
 */
public record Checkpoint(
        SiteNetConfig arch,
        int featurizerVersion,
        long seed,
        int epoch,
        int batchInEpoch,
        long step,
        long structuresSeen,
        Map<String, Params.Tensor> weights,
        Map<String, float[][]> optimizer,
        Map<String, Object> run) {

    public Checkpoint {
        run = run == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(run));
    }

    /** A checkpoint without run state (bundles, older callers). */
    public Checkpoint(SiteNetConfig arch, int featurizerVersion, long seed, int epoch, int batchInEpoch, long step,
            long structuresSeen, Map<String, Params.Tensor> weights, Map<String, float[][]> optimizer) {
        this(arch, featurizerVersion, seed, epoch, batchInEpoch, step, structuresSeen, weights, optimizer, Map.of());
    }

    /** A number from {@link #run()}, or {@code fallback} when absent. */
    public double runNumber(String key, double fallback) {
        Object v = run.get(key);
        return v instanceof Number n ? n.doubleValue() : fallback;
    }

    public static final String FILE_NAME = "checkpoint.bin";
    private static final String MAGIC = "DIMSTREAM-CKPT-1";
    private static final ObjectMapper JSON = new ObjectMapper();

    public void write(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
            out.writeUTF(MAGIC);
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("arch", arch.toMap());
            h.put("featurizerVersion", featurizerVersion);
            h.put("seed", seed);
            h.put("epoch", epoch);
            h.put("batchInEpoch", batchInEpoch);
            h.put("step", step);
            h.put("structuresSeen", structuresSeen);
            h.put("run", run);
            out.writeUTF(JSON.writeValueAsString(h));
            Params.writeHost(out, weights);
            out.writeInt(optimizer.size());
            for (Map.Entry<String, float[][]> e : optimizer.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
                for (float[] a : e.getValue()) {
                    out.writeInt(a.length);
                    java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(a.length * 4);
                    bb.asFloatBuffer().put(a);
                    out.write(bb.array());
                }
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static Checkpoint read(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            String magic = in.readUTF();
            if (!MAGIC.equals(magic)) {
                throw new IOException(file + " is not a dimstream checkpoint");
            }
            Map<String, Object> h = JSON.readValue(in.readUTF(), new TypeReference<Map<String, Object>>() {});
            @SuppressWarnings("unchecked")
            SiteNetConfig arch = SiteNetConfig.fromMap((Map<String, Object>) h.get("arch"));
            Map<String, Params.Tensor> w = Params.readHost(in);
            int n = in.readInt();
            Map<String, float[][]> opt = new LinkedHashMap<>();
            for (int k = 0; k < n; k++) {
                String name = in.readUTF();
                float[][] s = new float[in.readInt()][];
                for (int i = 0; i < s.length; i++) {
                    int len = in.readInt();
                    byte[] b = new byte[len * 4];
                    in.readFully(b);
                    s[i] = new float[len];
                    java.nio.ByteBuffer.wrap(b).asFloatBuffer().get(s[i]);
                }
                opt.put(name, s);
            }
            return new Checkpoint(arch, num(h, "featurizerVersion").intValue(), num(h, "seed").longValue(),
                    num(h, "epoch").intValue(), num(h, "batchInEpoch").intValue(), num(h, "step").longValue(),
                    num(h, "structuresSeen").longValue(), w, opt, run(h));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> run(Map<String, Object> h) {
        Object r = h.get("run");
        return r instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static Number num(Map<String, Object> h, String k) {
        return (Number) h.get(k);
    }
}
