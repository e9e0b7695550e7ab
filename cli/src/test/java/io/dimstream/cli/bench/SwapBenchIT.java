package io.dimstream.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * A scaled-down {@code bench swaps}: 10 model versions, one a second, while live structures flow over a
 * 1,000-structure corpus. Live records stay ahead of the backfills (p99 under 2 s, none embedded by a
 * backfill first), every id ends up with the last version, and no id is embedded twice per version.
 */
class SwapBenchIT {

    @Test
    void liveLatencyStaysUnderTwoSecondsWhileVersionsSwapAndBackfill() {
        SwapBench bench = new SwapBench();
        Path model = Path.of("..", "models", "base");
        String[] common = {"--corpus", "1000", "--rate", "150", "--swaps", "10", "--swap-interval-ms", "1000",
            "--lead-s", "3", "--tail-s", "5"};
        String[] args = Files.exists(model.resolve("model.onnx"))
                ? concat(common, "--model", model.toString()) : common;
        int rc = new CommandLine(bench).execute(args);
        long[] lat = bench.liveLatencyMs;
        assertTrue(lat.length > 1000, "live records measured: " + lat.length);
        long p99 = LiveBench.pct(lat, 99);
        assertTrue(p99 < 2000, "live p99 " + p99 + " ms");
        assertEquals(0, rc);
        assertEquals(0, bench.liveBackfillFirst, "no live record waited for a backfill to embed it");
        assertEquals(0, bench.liveWithoutLiveEmbedding);
        assertEquals(0, bench.duplicatedIds);
        assertEquals(bench.idsToEmbed, bench.lastVersionEmbedded, "the last version's backfill completed");
    }

    static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
