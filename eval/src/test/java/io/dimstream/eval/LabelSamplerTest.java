package io.dimstream.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LabelSamplerTest {

    private static final List<String> IDS = IntStream.range(0, 500).mapToObj(i -> "mp-" + i).toList();
    private static final int[] ALL = IntStream.range(0, 500).toArray();

    @Test
    void sameSeedSameSubset() {
        assertArrayEquals(LabelSampler.sample(IDS, ALL, 50, 7, "band_gap"), LabelSampler.sample(IDS, ALL, 50, 7, "band_gap"));
    }

    @Test
    void differentSeedsDrawDifferentSubsets() {
        Set<Integer> a = set(LabelSampler.sample(IDS, ALL, 50, 0, "band_gap"));
        Set<Integer> b = set(LabelSampler.sample(IDS, ALL, 50, 1, "band_gap"));
        assertNotEquals(a, b);
        assertEquals(50, a.size()); // no duplicates
    }

    @Test
    void subsetsAreNestedOverLabelCounts() {
        Set<Integer> small = set(LabelSampler.sample(IDS, ALL, 50, 3, "formation_energy_per_atom"));
        Set<Integer> big = set(LabelSampler.sample(IDS, ALL, 250, 3, "formation_energy_per_atom"));
        assertTrue(big.containsAll(small));
    }

    @Test
    void subsetDependsOnIdsNotOnFileOrder() {
        List<String> shuffled = new ArrayList<>(IDS);
        Collections.shuffle(shuffled, new java.util.Random(99));
        Set<String> a = Arrays.stream(LabelSampler.sample(IDS, ALL, 40, 5, "band_gap")).mapToObj(IDS::get)
                .collect(Collectors.toSet());
        Set<String> b = Arrays.stream(LabelSampler.sample(shuffled, ALL, 40, 5, "band_gap")).mapToObj(shuffled::get)
                .collect(Collectors.toSet());
        assertEquals(a, b);
    }

    @Test
    void onlyCandidatesAreDrawn() {
        int[] even = IntStream.range(0, 250).map(i -> 2 * i).toArray();
        for (int i : LabelSampler.sample(IDS, even, 100, 11, "band_gap")) {
            assertEquals(0, i % 2);
        }
    }

    @Test
    void tooFewLabelsIsATypedError() {
        EvalException e = assertThrows(EvalException.class, () -> LabelSampler.sample(IDS, new int[] {1, 2}, 3, 0, "x"));
        assertEquals("eval.too_few_labels", e.code());
    }

    @Test
    void validationSplitIsDisjointCompleteAndReproducible() {
        int[] subset = LabelSampler.sample(IDS, ALL, 100, 2, "band_gap");
        LabelSampler.Subset s = LabelSampler.split(subset, 0.2, 5, 42);
        assertEquals(20, s.validation().length);
        assertEquals(80, s.fit().length);
        Set<Integer> fit = set(s.fit());
        Set<Integer> val = set(s.validation());
        assertFalse(fit.stream().anyMatch(val::contains));
        Set<Integer> union = new HashSet<>(fit);
        union.addAll(val);
        assertEquals(set(subset), union);
        assertArrayEquals(s.validation(), LabelSampler.split(subset, 0.2, 5, 42).validation());
        // small subsets still get the minimum validation size
        assertEquals(5, LabelSampler.split(Arrays.copyOf(subset, 10), 0.2, 5, 1).validation().length);
    }

    private static Set<Integer> set(int[] a) {
        return Arrays.stream(a).boxed().collect(Collectors.toSet());
    }
}
