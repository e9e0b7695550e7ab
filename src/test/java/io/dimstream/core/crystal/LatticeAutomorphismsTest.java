package io.dimstream.core.crystal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LatticeAutomorphismsTest {

    static List<int[][]> of(Lattice l) {
        return LatticeAutomorphisms.proper(Niggli.reduce(l).matrix(), LatticeAutomorphisms.DEFAULT_REL_TOL);
    }

    /** Every matrix has det +1, preserves the Gram matrix, the identity comes first, no duplicates. */
    static void assertValid(Lattice lattice, List<int[][]> autos) {
        double[][] l = Niggli.reduce(lattice).matrix();
        double[][] g = Mat3.multiply(l, Mat3.transpose(l));
        assertArrayEquals(new int[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, autos.get(0));
        Set<String> seen = new HashSet<>();
        for (int[][] u : autos) {
            assertEquals(1, LatticeAutomorphisms.det(u));
            double[][] ud = new double[3][3];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    ud[i][j] = u[i][j];
                }
            }
            double[][] ug = Mat3.multiply(Mat3.multiply(ud, g), Mat3.transpose(ud));
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(g[i], ug[i], 1e-9);
            }
            assertEquals(true, seen.add(java.util.Arrays.deepToString(u)));
        }
    }

    @Test
    void rotationGroupOrdersOfTheSevenLatticeSystems() {
        // proper rotations of the holohedry: cubic 24, hexagonal 12, tetragonal 8, rhombohedral 6,
        // orthorhombic 4, monoclinic 2, triclinic 1 — for primitive and centred (fcc, bcc) lattices alike
        Object[][] cases = {
            {Lattice.fromParameters(4, 4, 4, 90, 90, 90), 24},
            {Lattice.fromParameters(2.5, 2.5, 2.5, 60, 60, 60), 24},                 // fcc primitive
            {new Lattice(new double[][] {{-1.4, 1.4, 1.4}, {1.4, -1.4, 1.4}, {1.4, 1.4, -1.4}}), 24}, // bcc
            {Lattice.fromParameters(3, 3, 5, 90, 90, 120), 12},
            {Lattice.fromParameters(3, 3, 5, 90, 90, 90), 8},
            {new Lattice(new double[][] {{-1.5, 1.5, 2.5}, {1.5, -1.5, 2.5}, {1.5, 1.5, -2.5}}), 8}, // body-centred tetragonal
            {Lattice.fromParameters(4, 4, 4, 75, 75, 75), 6},
            {Lattice.fromParameters(3, 4, 5, 90, 90, 90), 4},
            {Lattice.fromParameters(3, 4, 5, 90, 100, 90), 2},
            {Lattice.fromParameters(3.3, 4.1, 5.0, 78, 86, 97), 1},
        };
        for (Object[] c : cases) {
            Lattice l = (Lattice) c[0];
            List<int[][]> autos = of(l);
            assertEquals((int) c[1], autos.size(), java.util.Arrays.deepToString(l.matrix()));
            assertValid(l, autos);
        }
    }

    @Test
    void toleranceAndTheTriclinicFastPath() {
        // a tetragonal lattice strained by 1e-7 (relative) keeps its 8 operations; by 1e-3 it has 4
        assertEquals(8, of(Lattice.fromParameters(3, 3.0000003, 5, 90, 90, 90)).size());
        assertEquals(4, of(Lattice.fromParameters(3, 3.003, 5, 90, 90, 90)).size());
        // all lengths different: the shared identity-only list
        assertSame(of(Lattice.fromParameters(3, 4, 5, 80, 85, 95)), of(Lattice.fromParameters(3.1, 4, 5, 80, 85, 95)));
    }

    @Test
    void adjugateInverts() {
        int[][] m = {{2, 1, 1}, {0, 2, 1}, {0, 0, 2}};
        long[][] adj = LatticeAutomorphisms.adjugate(m);
        long det = LatticeAutomorphisms.det(m);
        assertEquals(8, det);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                long v = adj[i][0] * m[0][j] + adj[i][1] * m[1][j] + adj[i][2] * m[2][j];
                assertEquals(i == j ? det : 0, v);
            }
        }
    }
}
