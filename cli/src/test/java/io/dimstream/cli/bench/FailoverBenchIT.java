package io.dimstream.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * A scaled-down {@code bench failover} on a real broker with two app JVMs: one kill -9 of one of two
 * instances and one kill -9 + restart of a single instance, with the app's default failover settings.
 * Asserts the issue-16 bounds (resume ≤ 15 s, RUNNING ≤ 15 s after a restart) and exactly-once. The
 * broker checks for timed-out transactions every second here instead of every 10 s (its default): a
 * single run with the default lands anywhere in 10–16 s (docs/operations.md, "Failover"), which would
 * make a one-run bound flaky; the median of 3 with broker defaults is what the docs report.
 */
class FailoverBenchIT {

    @Test
    void aKilledInstancesPartitionsResumeWithinFifteenSecondsAndNothingIsLostOrDoubled() {
        FailoverBench bench = new FailoverBench();
        Path model = Path.of("..", "models", "base");
        String[] common = {"--runs", "1", "--restarts", "1", "--rate", "30", "--settle-s", "4",
            "--broker-property", "transaction.abort.timed.out.transaction.cleanup.interval.ms=1000"};
        String[] args = Files.exists(model.resolve("model.onnx"))
                ? SwapBenchIT.concat(common, "--model", model.toString()) : common;
        int rc = new CommandLine(bench).execute(args);
        assertEquals(0, rc, "0 = no id missing or embedded twice");
        assertEquals(1, bench.failoverSeconds.size());
        double failover = bench.failoverSeconds.get(0);
        assertTrue(failover > 0 && failover <= 15.0, "kill -9 of one of two: partitions resumed after " + failover + " s");
        assertEquals(1, bench.restartToRunningSeconds.size());
        double running = bench.restartToRunningSeconds.get(0);
        assertTrue(running > 0 && running <= 15.0, "restart of a single instance: RUNNING after " + running + " s");
        assertTrue(bench.restartToOutputSeconds.get(0) <= 20.0, "output after " + bench.restartToOutputSeconds);
        assertTrue(bench.producedIds > 300, "produced " + bench.producedIds);
        assertEquals(0, bench.missingIds);
        assertEquals(0, bench.duplicatedIds);
    }
}
