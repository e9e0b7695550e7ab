package io.dimstream.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What {@code bench failover --instances N} calls a balanced assignment, and how it prints one. */
class FailoverBenchTest {

    private static FailoverBench bench(int partitions, int instances) {
        FailoverBench b = new FailoverBench();
        new CommandLine(b).parseArgs("--partitions", String.valueOf(partitions), "--instances",
                String.valueOf(instances));
        return b;
    }

    @Test
    void balancedMeansEveryInstanceActiveAllPartitionsOwnedAndMaxMinusMinAtMostOne() {
        FailoverBench b = bench(6, 3);
        List<String> abc = List.of("a", "b", "c");
        assertTrue(b.balanced(Map.of("a", Set.of(0, 3), "b", Set.of(1, 4), "c", Set.of(2, 5)), abc));
        assertFalse(b.balanced(Map.of("a", Set.of(0, 3, 1), "b", Set.of(4), "c", Set.of(2, 5)), abc), "3 − 1 = 2");
        assertFalse(b.balanced(Map.of("b", Set.of(0, 2, 4), "c", Set.of(1, 3, 5)), abc), "a owns nothing");
        assertFalse(b.balanced(Map.of("a", Set.of(0, 3), "b", Set.of(1, 4), "c", Set.of(2)), abc), "p5 unowned");
        // while one of three is down, the two survivors are what must balance
        assertTrue(b.balanced(Map.of("b", Set.of(0, 2, 4), "c", Set.of(1, 3, 5)), List.of("b", "c")));
        // 4 partitions over 3 instances: 2 · 1 · 1 is balanced
        FailoverBench four = bench(4, 3);
        assertTrue(four.balanced(Map.of("a", Set.of(0, 3), "b", Set.of(1), "c", Set.of(2)), abc));
        // the default two instances over 4 partitions: 3 · 1 is not
        FailoverBench two = bench(4, 2);
        assertFalse(two.balanced(Map.of("a", Set.of(0, 1, 3), "b", Set.of(2)), List.of("a", "b")));
        assertTrue(two.balanced(Map.of("a", Set.of(1, 3), "b", Set.of(0, 2)), List.of("a", "b")));
    }

    @Test
    void assignmentPrintsCountAndPartitionsPerInstanceInNameOrder() {
        assertEquals("a 2 [0, 3] · b 1 [1] · c 3 [2, 4, 5]",
                FailoverBench.assignment(Map.of("c", new java.util.TreeSet<>(Set.of(5, 2, 4)),
                        "a", new java.util.TreeSet<>(Set.of(3, 0)), "b", Set.of(1))));
        assertEquals("—", FailoverBench.assignment(Map.of()));
    }

    @Test
    void killsNeedTwoInstancesThroughputOne() {
        FailoverBench b = bench(6, 1);
        assertThrows(IllegalArgumentException.class, b::call);
    }
}
