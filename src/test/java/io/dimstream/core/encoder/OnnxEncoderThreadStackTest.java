package io.dimstream.core.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime needs more native stack than the JVM's default 1 MiB thread stack in some call paths; the
 * encoder runs session creation and inference on its own large-stack threads, so callers on any thread
 * (here plain {@code new Thread(r)} with the default stack, and a deliberately tiny 256 KiB one) can load
 * and embed. A regression shows up as a JVM crash (SIGSEGV) of the test fork.
 */
class OnnxEncoderThreadStackTest {

    private static float[][] onThread(long stackBytes, List<FeaturizedCrystal> cs) throws Exception {
        AtomicReference<float[][]> out = new AtomicReference<>();
        AtomicReference<Throwable> err = new AtomicReference<>();
        Runnable r = () -> {
            try (OnnxEncoder enc = OnnxEncoder.load(OnnxEncoderTest.fixture(), OnnxEncoder.Options.defaults()
                    .withDevice("cpu").withThreads(2))) {
                float[][] e = null;
                for (int k = 0; k < 3; k++) {
                    e = enc.embed(cs);
                }
                for (FeaturizedCrystal c : cs.subList(0, 20)) {
                    enc.embed(List.of(c));
                }
                out.set(e);
            } catch (Throwable t) {
                err.set(t);
            }
        };
        Thread t = stackBytes == 0 ? new Thread(r) : new Thread(null, r, "small-stack", stackBytes);
        t.start();
        t.join();
        assertNull(err.get(), () -> "embedding failed: " + err.get());
        return out.get();
    }

    @Test
    void nativeCallsRunOnTheEncodersOwnThreadsWhichStopOnClose() throws Exception {
        List<FeaturizedCrystal> cs = OnnxEncoderTest.crystals(64, SiteNetFeaturizer.VERSION, 9, 7);
        OnnxEncoder enc = OnnxEncoder.load(OnnxEncoderTest.fixture(), OnnxEncoder.Options.defaults().withDevice("cpu")
                .withThreads(1).withMaxBatch(4));
        float[][] ref = enc.embed(cs);
        assertTrue(enc.nativeThreadCount() >= 1, "an encoder thread ran the call");
        assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("onnx-sitenet-dim-v1-")
                && t.isDaemon()), "named daemon encoder thread");
        // concurrent callers, then close while calls are in flight: finished calls are exact, later ones get
        // IllegalStateException, nothing crashes
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Integer>> fs = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            fs.add(pool.submit(() -> {
                int ok = 0;
                for (int k = 0; k < 200; k++) {
                    try {
                        float[][] e = enc.embed(cs);
                        for (int i = 0; i < e.length; i++) {
                            assertArrayEquals(ref[i], e[i], 1e-5f);
                        }
                        ok++;
                    } catch (IllegalStateException closed) {
                        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
                        break;
                    }
                }
                return ok;
            }));
        }
        Thread.sleep(300);
        enc.close();
        int ok = 0;
        for (Future<Integer> f : fs) {
            ok += f.get();
        }
        pool.shutdown();
        assertTrue(ok > 0, "some calls finished before close");
        assertEquals(0, enc.nativeThreadCount(), "encoder threads stop on close");
        assertThrows(IllegalStateException.class, () -> enc.embed(cs));
    }

    @Test
    void loadsAndEmbedsFromDefaultAndSmallStackThreads() throws Exception {
        List<FeaturizedCrystal> cs = OnnxEncoderTest.crystals(300, SiteNetFeaturizer.VERSION, 9, 5);
        float[][] a = onThread(0, cs);
        float[][] b = onThread(256L << 10, cs);
        assertEquals(cs.size(), a.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i].length, b[i].length);
            for (int k = 0; k < a[i].length; k++) {
                assertEquals(a[i][k], b[i][k], 1e-6f);
                assertTrue(Float.isFinite(a[i][k]));
            }
        }
    }
}
