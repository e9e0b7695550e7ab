package io.dimstream.trainer;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where DIM training runs: {@code auto} (GPU 0 when the PyTorch engine sees a GPU, else the CPU),
 * {@code cpu}, {@code gpu} (= {@code gpu:0}) or {@code gpu:N}. A GPU that is asked for but absent (a CPU
 * build of the PyTorch native library, no driver, an index past the device count) falls back to the CPU
 * with one warning line, so a trainer configured for a GPU host still runs on a laptop.
 *
 * <p>Which native library DJL loads decides whether GPUs are visible at all: the default build bundles
 * {@code pytorch-native-cpu}; {@code mvn -Pgpu-training} leaves it out, and DJL then downloads the CUDA
 * build named by {@code PYTORCH_FLAVOR} (e.g. {@code cu128}) into {@code DJL_CACHE_DIR} on first start
 * (docs/pretraining.md, "Training on a GPU").
 */
public final class TrainingDevice {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingDevice.class);
    private static final Pattern SPEC = Pattern.compile("auto|cpu|gpu(?::(\\d{1,3}))?");

    /** A parsed spec: {@code gpuIndex} is -1 for cpu, -2 for auto. */
    record Spec(String text, int gpuIndex) {
        boolean auto() {
            return gpuIndex == -2;
        }

        boolean cpu() {
            return gpuIndex == -1;
        }
    }

    private TrainingDevice() {
    }

    /** @throws IllegalArgumentException for anything but auto, cpu, gpu, gpu:N */
    static Spec parse(String spec) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        Matcher m = SPEC.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("training device '" + spec + "' is not one of auto, cpu, gpu, gpu:N");
        }
        if (s.equals("auto")) {
            return new Spec(s, -2);
        }
        if (s.equals("cpu")) {
            return new Spec(s, -1);
        }
        return new Spec(s, m.group(1) == null ? 0 : Integer.parseInt(m.group(1)));
    }

    /** The device for {@code spec}, given how many GPUs the engine sees (tests pass their own count). */
    static Device select(String spec, IntSupplier gpuCount) {
        Spec p = parse(spec);
        if (p.cpu()) {
            return Device.cpu();
        }
        int gpus;
        try {
            gpus = gpuCount.getAsInt();
        } catch (RuntimeException | LinkageError e) {
            gpus = 0;
        }
        if (p.auto()) {
            return gpus > 0 ? Device.gpu(0) : Device.cpu();
        }
        if (p.gpuIndex() >= gpus) {
            LOG.warn("training device {} requested but the PyTorch engine sees {} GPU(s){}: training on the CPU",
                    p.text(), gpus, gpus == 0 ? " (a CPU build of the native library, or no CUDA driver)" : "");
            return Device.cpu();
        }
        return Device.gpu(p.gpuIndex());
    }

    private static final java.util.Set<String> LOGGED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** The device for {@code spec} on this machine (logged at info the first time per setting). */
    public static Device select(String spec) {
        Device d = select(spec, () -> Engine.getEngine("PyTorch").getGpuCount());
        if (LOGGED.add(spec + "->" + d)) {
            LOG.info("training on {} (device setting '{}')", d, spec);
        }
        return d;
    }
}
