package io.dimstream.core.cif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.crystal.Element;
import io.dimstream.core.crystal.Species;
import io.dimstream.core.crystal.Structure;
import java.util.List;
import org.junit.jupiter.api.Test;

class CifParserTest {

    static final String CELL = "_cell_length_a 4.0\n_cell_length_b 4.0\n_cell_length_c 4.0\n"
            + "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n";

    static List<Structure> parse(String text) {
        return new CifParser().parse(text, "test");
    }

    static CifException error(String text) {
        return assertThrows(CifException.class, () -> parse(text));
    }

    @Test
    void rockSaltFromFourOperationsAndCentering() {
        String cif = "data_NaCl\n" + CELL
                + "loop_\n_symmetry_equiv_pos_as_xyz\nx,y,z\n'x+1/2, y+1/2, z'\n\"1/2+x,y,1/2+z\"\nx,1/2+y,+z+1/2\n"
                + "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
                + "Na1 0 0 0\nCl1 0.5 0.5 0.5\n";
        Structure s = parse(cif).get(0);
        assertEquals("NaCl", s.id());
        assertEquals(8, s.size());
        assertEquals("NaCl", s.reducedFormula());
        assertEquals(64.0, s.lattice().volume(), 1e-9);
    }

    @Test
    void multipleBlocksCommentsQuotesSemicolonFieldsAndUnknowns() {
        String cif = "# leading comment\ndata_global\n_journal_name_full 'Acta Cryst.'\n"
                + "_publ_section_title\n;\n Some title with 'quotes' and\n data_notablock loop_ _tag\n;\n"
                + "data_one\n" + CELL + "_chemical_name_mineral ?\n_refine_special .\n"
                + "loop_ _atom_site_label _atom_site_type_symbol _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z"
                + " _atom_site_occupancy\n Fe1 'Fe' 0.1(2) 0.2 0.30(12) ? # comment after\n O1 \"O\" .5 .5 .5 .\n"
                + "data_two\n" + CELL + "_a_string 'it''s fine'\n"
                + "loop_\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nCu 0 0 0\n";
        List<Structure> list = parse(cif);
        assertEquals(2, list.size());
        assertEquals("one", list.get(0).id());
        assertEquals("two", list.get(1).id());
        Structure one = list.get(0);
        assertEquals(2, one.size());
        assertEquals(0.1, one.site(0).frac(0), 1e-12);
        assertEquals(0.3, one.site(0).frac(2), 1e-12);
        assertEquals(1.0, one.site(0).totalOccupancy(), 0);
        assertEquals(Element.O, one.site(1).majoritySpecies().element());
        assertEquals(Element.Cu, list.get(1).site(0).majoritySpecies().element());
    }

    @Test
    void elementAndChargeFromTypeSymbolsAndLabels() {
        String cif = "data_x\n" + CELL + "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
                + "Fe1 0 0 0\nO2- 0.5 0 0\nCA12 0 0.5 0\nSr3a 0 0 0.5\nD1 0.5 0.5 0\nCl1- 0.5 0 0.5\n";
        Structure s = parse(cif).get(0);
        assertEquals(Species.of(Element.Fe), s.site(0).majoritySpecies());
        assertEquals(new Species(Element.O, -2), s.site(1).majoritySpecies());
        assertEquals(Element.Ca, s.site(2).majoritySpecies().element());
        assertEquals(Element.Sr, s.site(3).majoritySpecies().element());
        assertEquals(Element.H, s.site(4).majoritySpecies().element());
        assertEquals(new Species(Element.Cl, -1), s.site(5).majoritySpecies());
        String typed = "data_x\n" + CELL + "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
                + "_atom_site_fract_y\n_atom_site_fract_z\nX1 Fe3+ 0 0 0\nX2 O2- 0.5 0.5 0.5\nX3 Mn+2 0.5 0 0\n";
        Structure t = parse(typed).get(0);
        assertEquals(new Species(Element.Fe, 3), t.site(0).majoritySpecies());
        assertEquals(new Species(Element.O, -2), t.site(1).majoritySpecies());
        assertEquals(new Species(Element.Mn, 2), t.site(2).majoritySpecies());
    }

    @Test
    void snapsThirdsSoSymmetryImagesMerge() {
        // graphite-like P 6/mmm-ish: 2/3,1/3 written as 0.6667/0.3333 must not produce near-duplicates
        String cif = "data_x\n_cell_length_a 2.46\n_cell_length_b 2.46\n_cell_length_c 6.7\n_cell_angle_alpha 90\n"
                + "_cell_angle_beta 90\n_cell_angle_gamma 120\nloop_\n_space_group_symop_operation_xyz\n"
                + "x,y,z\n-y,x-y,z\n-x+y,-x,z\n-x,-y,z\ny,-x+y,z\nx-y,x,z\n"
                + "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nC1 0.3333 0.6667 0\n";
        Structure s = parse(cif).get(0);
        assertEquals(2, s.size());
        assertEquals(1.0 / 3, Math.min(s.site(0).frac(0), s.site(1).frac(0)), 1e-15);
    }

    @Test
    void colocatedPartialSitesMergeIntoOneDisorderedSite() {
        String cif = "data_x\n" + CELL + "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
                + "_atom_site_occupancy\nFe1 0 0 0 0.6\nNi1 0.0004 0 0 0.4\nO1 0.5 0.5 0.5 0.5\nO2 0.5 0.5 0.5 0.49\n";
        Structure s = parse(cif).get(0);
        assertEquals(2, s.size());
        assertEquals(2, s.site(0).species().size());
        assertEquals(0.6, s.site(0).species().get(Species.of(Element.Fe)), 1e-12);
        assertEquals(1, s.site(1).species().size());
        assertEquals(0.99, s.site(1).totalOccupancy(), 1e-12);
        assertFalse(s.isOrdered());
    }

    @Test
    void typedErrorsCarryBlockLineAndReason() {
        CifException e = error("data_nocell\n_cell_length_a 4\nloop_\n_atom_site_label\n_atom_site_fract_x\n"
                + "_atom_site_fract_y\n_atom_site_fract_z\nFe1 0 0 0\n");
        assertEquals(CifException.MISSING_CELL, e.code());
        assertEquals("nocell", e.block());
        assertTrue(e.reason().contains("_cell_length_b"), e.reason());

        e = error("data_u\n" + CELL + "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
                + "Fe1 0 0 0\nQq1 0.5 0.5 0.5\n");
        assertEquals(CifException.UNKNOWN_ELEMENT, e.code());
        assertEquals(14, e.line());
        assertTrue(e.getMessage().contains("Qq1"), e.getMessage());

        e = error("data_m\n" + CELL + "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
                + "Fe1 0 0 0\nO1 0.5 0.5\n");
        assertEquals(CifException.MALFORMED_LOOP, e.code());
        assertEquals(8, e.line());

        e = error("data_o\n" + CELL + "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
                + "_atom_site_occupancy\nFe1 0 0 0 0.7\nNi1 0 0 0 0.7\n");
        assertEquals(CifException.OCCUPANCY_SUM, e.code());
        assertTrue(e.reason().contains("Fe1/Ni1"), e.reason());

        e = error("data_n\n" + CELL);
        assertEquals(CifException.NO_ATOMS, e.code());

        e = error("no blocks at all\n");
        assertEquals(CifException.NO_DATA_BLOCK, e.code());

        e = error("data_s\n" + CELL + "_symmetry_space_group_name_H-M 'F d -3 m'\n"
                + "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nAl1 0 0 0\n");
        assertEquals(CifException.NO_SYMOPS, e.code());
        assertEquals(8, e.line());
        assertTrue(e.reason().contains("two origin choices"), e.reason());

        e = error("data_b\n" + CELL + "loop_\n_symmetry_equiv_pos_as_xyz\nx,y,z\n'x,y,q'\n"
                + "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nAl1 0 0 0\n");
        assertEquals(CifException.BAD_SYMOP, e.code());
        assertEquals(11, e.line());

        e = error("data_q\n_cell_length_a 'unterminated\n");
        assertEquals(CifException.SYNTAX, e.code());
        assertEquals(2, e.line());

        e = error("data_t\n_x\n;\nnever closed\n");
        assertEquals(CifException.SYNTAX, e.code());

        e = error("data_c\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n_cell_angle_alpha 10\n_cell_angle_beta 100\n"
                + "_cell_angle_gamma 150\nloop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nAl1 0 0 0\n");
        assertEquals(CifException.BAD_CELL, e.code());

        e = error("data_c\n" + CELL + "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nAl1 0 ? 0\n");
        assertEquals(CifException.BAD_NUMBER, e.code());
        assertTrue(e.getMessage().startsWith("data_c line 13: atom 'Al1' has no _atom_site_fract_y"), e.getMessage());
    }

    @Test
    void pOneSymbolWithoutOperationsAndNoSymmetryAtAllMeanIdentity() {
        String atoms = "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nAl1 0.1 0.2 0.3\n";
        assertEquals(1, parse("data_a\n" + CELL + "_symmetry_space_group_name_H-M 'P 1'\n" + atoms).get(0).size());
        assertEquals(1, parse("data_a\n" + CELL + "_space_group_IT_number 1\n" + atoms).get(0).size());
        assertEquals(1, parse("data_a\n" + CELL + atoms).get(0).size());
    }

    @Test
    void byteOrderMarkAndClassicMacLineEnds() {
        String cif = "data_NaCl\n" + CELL + "_publ_section_title\n;\ntext field\n;\n"
                + "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nNa1 0 0 0\n";
        assertEquals(1, parse("\uFEFF" + cif).get(0).size());
        assertEquals(1, parse(cif.replace('\n', '\r')).get(0).size());
        assertEquals(1, parse(cif.replace("\n", "\r\n")).get(0).size());
        CifException e = error("data_c\n" + CELL + "loop_\n_atom_site_label\n_atom_site_Cartn_x\n_atom_site_Cartn_y\n"
                + "Na1 0 0\n");
        assertEquals(CifException.NO_ATOMS, e.code());
        assertTrue(e.reason().contains("lack _atom_site_Cartn_z"), e.reason());
    }

    static final String TRICLINIC = "_cell_length_a 4.0\n_cell_length_b 5.0\n_cell_length_c 6.0\n"
            + "_cell_angle_alpha 80\n_cell_angle_beta 95\n_cell_angle_gamma 110\n"
            + "loop_\n_symmetry_equiv_pos_as_xyz\nx,y,z\n-x,-y,-z\n";
    static final double[][] FRAC = {{0.1, 0.2, 0.3}, {0.6, 0.7, 0.85}};

    static String atoms(String axis, double[][] xyz) {
        StringBuilder sb = new StringBuilder("loop_\n_atom_site_label\n_atom_site_" + axis + "_x\n_atom_site_"
                + axis + "_y\n_atom_site_" + axis + "_z\n");
        String[] labels = {"Fe1", "O1"};
        for (int i = 0; i < xyz.length; i++) {
            sb.append(labels[i]).append(String.format(java.util.Locale.ROOT, " %.10f %.10f %.10f%n", xyz[i][0],
                    xyz[i][1], xyz[i][2]));
        }
        return sb.toString();
    }

    static void assertSameSites(Structure want, Structure got) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            for (int k = 0; k < 3; k++) {
                assertEquals(want.site(i).frac(k), got.site(i).frac(k), 1e-8, "site " + i + " axis " + k);
            }
            assertEquals(want.site(i).majoritySpecies(), got.site(i).majoritySpecies());
        }
    }

    @Test
    void cartesianSitesInTheDefaultFrameEqualTheirFractionalForm() {
        Structure fractional = parse("data_t\n" + TRICLINIC + atoms("fract", FRAC)).get(0);
        io.dimstream.core.crystal.Lattice l = io.dimstream.core.crystal.Lattice.fromParameters(4, 5, 6, 80, 95, 110);
        double[][] cart = {l.toCartesian(FRAC[0]), l.toCartesian(FRAC[1])};
        Structure cartesian = parse("data_t\n" + TRICLINIC + atoms("Cartn", cart)).get(0);
        assertEquals(4, cartesian.size(), "2 sites x the inversion");
        assertSameSites(fractional, cartesian);
    }

    @Test
    void cartesianSitesUseTheBlocksTransformMatrixAndVector() {
        Structure fractional = parse("data_t\n" + TRICLINIC + atoms("fract", FRAC)).get(0);
        double[][] rows = io.dimstream.core.crystal.Lattice.fromParameters(4, 5, 6, 80, 95, 110).matrix();
        double c30 = Math.cos(Math.toRadians(30));
        double s30 = Math.sin(Math.toRadians(30));
        double[][] rot = {{c30, -s30, 0}, {s30, c30, 0}, {0, 0, 1}};
        double[][] m = new double[3][3]; // cart = M frac + v, M = R L^T (columns are the rotated cell vectors)
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 3; k++) {
                    m[i][j] += rot[i][k] * rows[j][k];
                }
            }
        }
        double[] v = {1.0, -2.0, 0.5};
        StringBuilder frame = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                frame.append(String.format(java.util.Locale.ROOT, "_atom_sites_Cartn_tran_matrix_%d%d %.12f%n", i + 1,
                        j + 1, m[i][j]));
            }
            frame.append(String.format(java.util.Locale.ROOT, "_atom_sites_Cartn_tran_vector_%d %.3f%n", i + 1, v[i]));
        }
        double[][] cart = new double[2][3];
        for (int a = 0; a < 2; a++) {
            for (int i = 0; i < 3; i++) {
                cart[a][i] = v[i] + m[i][0] * FRAC[a][0] + m[i][1] * FRAC[a][1] + m[i][2] * FRAC[a][2];
            }
        }
        Structure cartesian = parse("data_t\n" + TRICLINIC + frame + atoms("Cartn", cart)).get(0);
        assertSameSites(fractional, cartesian);
        CifException partial = error("data_t\n" + TRICLINIC + "_atom_sites_Cartn_tran_matrix_11 4.0\n"
                + atoms("Cartn", cart));
        assertEquals(CifException.BAD_CELL, partial.code());
        assertTrue(partial.reason().contains("1 of its 9"), partial.reason());
    }

    @Test
    void shortOrEmptyLoopsOfSymbolTagsAreHarmless() {
        String atoms = "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nAl1 0.1 0.2 0.3\n";
        StringBuilder tags = new StringBuilder("loop_\n");
        for (int i = 0; i < 20; i++) {
            tags.append("_dummy_").append(i).append('\n');
        }
        tags.append("_symmetry_space_group_name_Hall\n");
        assertEquals(1, parse("data_a\n" + CELL + tags + "1\n" + atoms).get(0).size());
        assertEquals(CifException.MALFORMED_LOOP,
                error("data_a\n" + CELL.replace("_cell_length_a 4.0\n", "") + tags + "_cell_length_a\n1\n" + atoms).code());
        assertEquals(1, parse("data_a\n" + CELL + "loop_\n_space_group_IT_number\n_symmetry_space_group_name_H-M\n" + atoms)
                .get(0).size());
    }

    @Test
    void dummyAndZeroOccupancyRowsAreSkipped() {
        String cif = "data_x\n" + CELL + "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
                + "_atom_site_occupancy\n_atom_site_calc_flag\nFe1 0 0 0 1 d\nH9 -1 -1 -1 5 dum\nO1 0.5 0.5 0.5 0 d\n";
        Structure s = parse(cif).get(0);
        assertEquals(1, s.size());
    }

    @Test
    void sizeCapsAreEnforced() {
        StringBuilder sb = new StringBuilder("data_big\n_cell_length_a 1000\n_cell_length_b 1000\n_cell_length_c 1000\n"
                + "loop_\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n");
        for (int i = 0; i <= CifParser.MAX_SITES; i++) {
            sb.append(String.format(java.util.Locale.ROOT, "C %.9f 0 0%n", i * 1e-4));
        }
        CifException e = error(sb.toString());
        assertEquals(CifException.TOO_LARGE, e.code());
        String huge = "data_h\n_x '" + "a".repeat(CifParser.MAX_TEXT_CHARS) + "'\n";
        assertEquals(CifException.TOO_LARGE, error(huge).code());
    }

    @Test
    void numbersWithStandardUncertainties() {
        assertEquals(1.234, CifNumbers.parse("1.234(5)"), 0);
        assertEquals(90.0, CifNumbers.parse("90."), 0);
        assertEquals(-0.5, CifNumbers.parse("-.5"), 0);
        assertEquals(0.001, CifNumbers.parse("1e-3"), 0);
        assertEquals(12.0, CifNumbers.parse("+12"), 0);
        assertEquals(29.97049, CifNumbers.parse("29.97049(160)"), 0);
        assertEquals(0.123456789012345678, CifNumbers.parse("0.123456789012345678"), 0);
        for (String bad : new String[] {"", "abc", "1.2.3", "(5)", "1(a)", "NaN", "Infinity", "1e999", "-", ".", "0x10", "1d"}) {
            assertTrue(Double.isNaN(CifNumbers.parse(bad)), bad);
        }
        assertTrue(Double.isNaN(CifNumbers.parse(null)));
    }
}
