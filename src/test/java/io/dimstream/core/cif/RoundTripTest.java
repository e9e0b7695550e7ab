package io.dimstream.core.cif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.crystal.Lattice;
import io.dimstream.core.crystal.Mat3;
import io.dimstream.core.crystal.RandomStructures;
import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Structure;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Property tests: random structure → CIF text → parse → the same structure. */
class RoundTripTest {

    static void assertSameStructure(Structure expected, Structure actual, double fracTol) {
        assertEquals(expected.size(), actual.size(), expected.id());
        double[] la = expected.lattice().lengths();
        double[] lb = actual.lattice().lengths();
        double[] aa = expected.lattice().angles();
        double[] ab = actual.lattice().angles();
        for (int k = 0; k < 3; k++) {
            assertEquals(la[k], lb[k], 1e-8);
            assertEquals(aa[k], ab[k], 1e-7);
        }
        for (Site e : expected.sites()) {
            boolean found = false;
            for (Site a : actual.sites()) {
                if (expected.lattice().minimumImageDistance(e.frac(), a.frac()) < fracTol * la[0]
                        && e.sameSpecies(a, 1e-9)) {
                    found = true;
                    break;
                }
            }
            assertTrue(found, expected.id() + ": no parsed site matches " + e);
        }
    }

    @Test
    void randomP1StructuresRoundTrip() {
        Random rnd = new Random(2024);
        CifParser parser = new CifParser();
        for (int t = 0; t < 400; t++) {
            Structure s = RandomStructures.random(rnd, 1 + rnd.nextInt(30), "rt" + t);
            String cif = CifWriter.write(s);
            List<Structure> back = parser.parse(cif, "rt");
            assertEquals(1, back.size());
            assertEquals("rt" + t, back.get(0).id());
            assertSameStructure(s, back.get(0), 1e-9);
            // and stable: writing the parsed structure again gives the same text
            assertEquals(cif, CifWriter.write(back.get(0)));
        }
    }

    /** Writes the asymmetric unit with explicit operations; parsing must rebuild the full orbit set. */
    @Test
    void randomSymmetricStructuresRoundTripThroughOperations() {
        Random rnd = new Random(99);
        CifParser parser = new CifParser();
        // P 2/m 1 1-like monoclinic ops and an orthorhombic mmm set (with centring), in several xyz spellings
        String[][] groups = {
            {"x,y,z", "-x,-y,-z", "x,-y,z", "-x,y,-z"},
            {"x, y, z", "-x, -y, z", "-x, y, -z", "x, -y, -z", "-x,-y,-z", "x,y,-z", "x,-y,z", "-x,y,z",
             "1/2+x,1/2+y,z", "1/2-x,1/2-y,z", "-x+1/2,y+1/2,-z", "x+1/2,-y+1/2,-z", "1/2-x,1/2-y,-z",
             "1/2+x,1/2+y,-z", "1/2+x,1/2-y,z", "1/2-x,1/2+y,z"}
        };
        for (int t = 0; t < 200; t++) {
            String[] ops = groups[t % groups.length];
            double a = 4 + 6 * rnd.nextDouble();
            double b = 4 + 6 * rnd.nextDouble();
            double c = 4 + 6 * rnd.nextDouble();
            double beta = t % 2 == 0 ? 90 : 90; // the monoclinic set here keeps b unique with 90 deg
            Lattice lat = Lattice.fromParameters(a, b, c, 90, beta, 90);
            // generic asymmetric positions far from special positions
            int nAsym = 1 + rnd.nextInt(3);
            List<double[]> asym = new ArrayList<>();
            while (asym.size() < nAsym) {
                double[] f = {0.05 + 0.4 * rnd.nextDouble(), 0.05 + 0.4 * rnd.nextDouble(), 0.05 + 0.4 * rnd.nextDouble()};
                // keep orbits well separated
                boolean ok = true;
                for (double[] g : asym) {
                    if (lat.minimumImageDistance(f, g) < 1.5) {
                        ok = false;
                    }
                }
                for (double v : f) {
                    if (Math.abs(v - 0.25) < 0.06) {
                        ok = false; // (1/2 - x) orbits coincide near 1/4
                    }
                }
                if (ok) {
                    asym.add(f);
                }
            }
            StringBuilder sb = new StringBuilder("data_sym").append(t).append('\n');
            sb.append(String.format(Locale.ROOT, "_cell_length_a %.6f\n_cell_length_b %.6f\n_cell_length_c %.6f\n", a, b, c));
            sb.append("_cell_angle_alpha 90\n_cell_angle_beta ").append(beta).append("\n_cell_angle_gamma 90\n");
            sb.append("loop_\n_space_group_symop_id\n_space_group_symop_operation_xyz\n");
            for (int i = 0; i < ops.length; i++) {
                sb.append(i + 1).append(" '").append(ops[i]).append("'\n");
            }
            sb.append("loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n");
            for (int i = 0; i < asym.size(); i++) {
                double[] f = asym.get(i);
                sb.append(String.format(Locale.ROOT, "Si%d Si %.6f(3) %.6f(4) %.6f\n", i + 1, f[0], f[1], f[2]));
            }
            Structure s = parser.parse(sb.toString(), "sym").get(0);
            assertEquals(nAsym * ops.length, s.size(), "general positions have full orbits: " + sb);
            // every site's images under every op are sites
            for (String opText : ops) {
                SymOp op = SymOp.parse(opText);
                double[] img = new double[3];
                for (Site site : s.sites()) {
                    op.apply(site.frac(0), site.frac(1), site.frac(2), img);
                    double best = Double.MAX_VALUE;
                    for (Site o : s.sites()) {
                        best = Math.min(best, lat.minimumImageDistance(img, o.frac()));
                    }
                    assertTrue(best < 1e-6, "orbit closed under " + opText);
                }
            }
            assertEquals(Mat3.det(lat.matrix()), s.lattice().volume(), 1e-5 * s.lattice().volume());
        }
    }
}
