package io.dimstream.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Scale-out (issue 20) on a real broker: three app JVMs over six partitions, kill -9 of one during
 * ingestion, restart from its state dir. Asserts a balanced assignment (every instance active, max − min
 * ≤ 1 active partitions) before the kill and after the restart, that the killed instance's partitions
 * resume on the survivors, that output flows on every partition after the restart, and exactly-once
 * (no id missing, none embedded twice). Low rate, one kill, so it stays short on 2 cores. As in
 * {@link FailoverBenchIT}, the broker checks for timed-out transactions every second.
 */
class ScaleOutIT {

    @Test
    void threeInstancesStayBalancedAcrossAKillAndRestartAndEmbedEachIdExactlyOnce() {
        FailoverBench bench = new FailoverBench();
        Path model = Path.of("..", "models", "base");
        String[] common = {"--instances", "3", "--partitions", "6", "--runs", "1", "--restarts", "0",
            "--rate", "10", "--settle-s", "3",
            "--broker-property", "transaction.abort.timed.out.transaction.cleanup.interval.ms=1000"};
        String[] args = Files.exists(model.resolve("model.onnx"))
                ? SwapBenchIT.concat(common, "--model", model.toString()) : common;
        int rc = new CommandLine(bench).execute(args);
        assertEquals(0, rc, "0 = no id missing or embedded twice");

        assertEquals(List.of("a"), bench.victims);
        Map<String, Set<Integer>> before = bench.assignmentsBefore.get(0);
        Map<String, Set<Integer>> after = bench.assignmentsAfter.get(0);
        assertBalanced(before, "before the kill");
        assertBalanced(after, "after the restart");
        assertEquals(2, before.get("a").size(), "the victim owned its share: " + before);

        assertEquals(1, bench.failoverSeconds.size());
        double failover = bench.failoverSeconds.get(0);
        assertTrue(failover > 0 && failover <= 20.0,
                "kill -9 of one of three: its partitions " + before.get("a") + " resumed after " + failover + " s");
        double balanced = bench.restartToBalancedSeconds.get(0);
        double flowing = bench.restartToAllOutputSeconds.get(0);
        assertTrue(balanced > 0 && balanced <= 90.0, "restart → balanced after " + balanced + " s");
        assertTrue(flowing >= balanced && flowing <= 120.0, "restart → output on all partitions after " + flowing + " s");

        assertTrue(bench.producedIds >= 200, "produced " + bench.producedIds);
        assertEquals(0, bench.missingIds);
        assertEquals(0, bench.duplicatedIds);
    }

    private static void assertBalanced(Map<String, Set<Integer>> m, String when) {
        assertEquals(Set.of("a", "b", "c"), m.keySet(), when + ": every instance active: " + m);
        Set<Integer> all = new TreeSet<>();
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (Set<Integer> parts : m.values()) {
            all.addAll(parts);
            min = Math.min(min, parts.size());
            max = Math.max(max, parts.size());
        }
        assertEquals(Set.of(0, 1, 2, 3, 4, 5), all, when + ": all six partitions owned: " + m);
        assertEquals(12, m.values().stream().mapToInt(Set::size).sum() * 2, when + ": each partition once: " + m);
        assertTrue(max - min <= 1, when + ": max − min ≤ 1: " + m);
    }
}
