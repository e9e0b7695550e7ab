package io.dimstream.core.featurize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.cif.CifException;
import io.dimstream.core.cif.CifParser;
import io.dimstream.core.crystal.Element;
import io.dimstream.core.crystal.Structure;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Partial occupancy, vacancies and co-located partial sites (as in COD and OPTIMADE): featurized in the
 * documented way (docs/featurizer.md, step 4 and "Disorder"), for small cells and for large cells with
 * per-site neighbour lists, never a crash.
 */
class DisorderTest {

    private final CifParser parser = new CifParser();
    private final SiteNetFeaturizer featurizer = new SiteNetFeaturizer();

    private static String header(double a, double b, double c) {
        return "data_t\n_cell_length_a " + a + "\n_cell_length_b " + b + "\n_cell_length_c " + c
                + "\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
                + "_symmetry_space_group_name_H-M 'P 1'\nloop_\n_symmetry_equiv_pos_as_xyz\n'x, y, z'\n"
                + "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n"
                + "_atom_site_fract_z\n_atom_site_occupancy\n";
    }

    private static String row(String label, String el, double x, double y, double z, double occ) {
        return String.format(Locale.ROOT, "%s %s %.5f %.5f %.5f %.3f%n", label, el, x, y, z, occ);
    }

    /** Standardised features of one element alone (from an ordered one-site crystal). */
    private float[] pure(Element e) throws Exception {
        Structure s = parser.parse(header(4, 4, 4) + row("X1", e.name(), 0, 0, 0, 1), "p").get(0);
        return featurizer.featurize(s, "p", "t").siteFeatures();
    }

    @Test
    void coLocatedPartialSitesAreOneSiteWithOccupancyWeightedFeatures() throws Exception {
        // rock-salt-like cell: Fe/Co share the cation position (two CIF rows, 0.5 each), O with a vacancy
        String cif = header(4.2, 4.2, 4.2) + row("Fe1", "Fe", 0, 0, 0, 0.5) + row("Co1", "Co", 0, 0, 0, 0.5)
                + row("O1", "O", 0.5, 0.5, 0.5, 0.8);
        Structure s = parser.parse(cif, "t").get(0);
        assertEquals(2, s.size(), "the two partial rows at one position are one site");
        FeaturizedCrystal f = featurizer.featurize(s, "t", "t");
        assertEquals(2, f.primSites());
        float[] fe = pure(Element.Fe);
        float[] co = pure(Element.Co);
        float[] o = pure(Element.O);
        int cation = f.siteFeature(0, 0) < f.siteFeature(1, 0) ? 1 : 0; // Fe/Co have the larger Number
        for (int k = 0; k < 8; k++) {
            assertEquals(0.5f * fe[k] + 0.5f * co[k], f.siteFeature(cation, k), 1e-5f, "feature " + k);
            // the vacancy carries no features: 0.8 O normalised by its total occupancy 0.8 is pure O
            assertEquals(o[k], f.siteFeature(1 - cation, k), 1e-5f, "feature " + k);
        }
        // one atom per position: the only zero distance of a row is the site itself
        for (int i = 0; i < f.primSites(); i++) {
            for (int j = 0; j < f.supercellSites(); j++) {
                assertTrue(f.distance(i, j) > 0 || j == i, "row " + i + " atom " + j);
            }
        }
    }

    @Test
    void largeDisorderedCellGetsNeighbourListsWithoutDuplicateAtoms() throws Exception {
        // 70 positions on a jittered grid of a 12 x 12 x 12 cell: even ones hold Fe 0.5 + Co 0.5 as two
        // co-located rows, odd ones Ni with occupancy 0.7 (a vacancy); above the 64-site supercell limit
        Random r = new Random(3);
        StringBuilder cif = new StringBuilder(header(12, 12, 12));
        int n = 0;
        for (int a = 0; a < 5 && n < 70; a++) {
            for (int b = 0; b < 4 && n < 70; b++) {
                for (int c = 0; c < 4 && n < 70; c++, n++) {
                    double x = (a + 0.3 * r.nextDouble()) / 5;
                    double y = (b + 0.3 * r.nextDouble()) / 4;
                    double z = (c + 0.3 * r.nextDouble()) / 4;
                    if (n % 2 == 0) {
                        cif.append(row("Fe" + n, "Fe", x, y, z, 0.5)).append(row("Co" + n, "Co", x, y, z, 0.5));
                    } else {
                        cif.append(row("Ni" + n, "Ni", x, y, z, 0.7));
                    }
                }
            }
        }
        Structure s = parser.parse(cif.toString(), "big").get(0);
        assertEquals(70, s.size());
        FeaturizedCrystal f = featurizer.featurize(s, "big", "t");
        assertEquals(70, f.primSites());
        assertTrue(f.perSiteNeighbours());
        for (int i = 0; i < 70; i++) {
            assertEquals(0f, f.distance(i, 0));
            assertTrue(f.distance(i, 1) > 1.0f, "row " + i + " nearest other atom at " + f.distance(i, 1));
        }
        for (float v : f.siteFeatures()) {
            assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void impossibleOccupanciesAreOneClearErrorNotACrash() {
        // two fully occupied atoms at one position: the merged site would hold 2 atoms
        String cif = header(4, 4, 4) + row("Fe1", "Fe", 0, 0, 0, 1) + row("Co1", "Co", 0, 0, 0, 1);
        CifException e = assertThrows(CifException.class, () -> parser.parse(cif, "t"));
        assertTrue(e.getMessage().contains("sum to 2.000 > 1"), e.getMessage());
        // a site with occupancy 0 is dropped; a structure of only such sites has no atoms
        String empty = header(4, 4, 4) + row("Fe1", "Fe", 0, 0, 0, 0);
        CifException none = assertThrows(CifException.class, () -> parser.parse(empty, "t"));
        assertEquals(CifException.NO_ATOMS, none.code());
    }
}
