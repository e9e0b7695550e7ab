package io.dimstream.heads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeatureJoinTest {

    @Test
    void rowsAreJoinedByIdWhateverTheOrderOfEachSet() {
        Map<String, double[]> emb = new LinkedHashMap<>();
        emb.put("mp-2", new double[] {2, 20});
        emb.put("mp-1", new double[] {1, 10});
        Map<String, double[]> comp = new LinkedHashMap<>();
        comp.put("mp-1", new double[] {-1});
        comp.put("mp-3", new double[] {-3});
        comp.put("mp-2", new double[] {-2});
        double[][] x = FeatureJoin.byId(List.of("mp-1", "mp-2", "mp-3"), emb, comp);
        assertArrayEquals(new double[] {1, 10, -1}, x[0]);
        assertArrayEquals(new double[] {2, 20, -2}, x[1]);
        assertNull(x[2], "no embedding for mp-3: no hybrid row");
    }
}
