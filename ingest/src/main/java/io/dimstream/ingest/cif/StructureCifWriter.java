package io.dimstream.ingest.cif;

import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Species;
import io.dimstream.core.crystal.Structure;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a {@link Structure} as a P1 CIF: cell parameters, the identity symmetry operation and one
 * {@code _atom_site} row per species on each site (a disordered site becomes several rows at the same
 * position with their occupancies). Labels are made unique per element (Fe1, Fe2, ...).
 *
 * <p>Cell parameters fix the lattice only up to a rotation (and handedness), which is all a reader needs:
 * interatomic distances are preserved exactly up to the printed precision (8 decimals).
 */
public final class StructureCifWriter {
    private StructureCifWriter() {
    }

    public static String write(Structure s) {
        String block = s.id().isEmpty() ? "structure" : s.id().replaceAll("[^A-Za-z0-9_.\\-]", "_");
        double[] len = s.lattice().lengths();
        double[] ang = s.lattice().angles();
        StringBuilder sb = new StringBuilder(256 + 64 * s.size());
        sb.append("# written by dimstream ingest\n");
        sb.append("data_").append(block).append('\n');
        sb.append("_symmetry_space_group_name_H-M   'P 1'\n");
        sb.append("_symmetry_Int_Tables_number   1\n");
        kv(sb, "_cell_length_a", len[0]);
        kv(sb, "_cell_length_b", len[1]);
        kv(sb, "_cell_length_c", len[2]);
        kv(sb, "_cell_angle_alpha", ang[0]);
        kv(sb, "_cell_angle_beta", ang[1]);
        kv(sb, "_cell_angle_gamma", ang[2]);
        kv(sb, "_cell_volume", s.lattice().volume());
        sb.append("_chemical_formula_sum   '").append(s.reducedFormula()).append("'\n");
        sb.append("loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz\n  1  'x, y, z'\n");
        sb.append("loop_\n _atom_site_type_symbol\n _atom_site_label\n _atom_site_symmetry_multiplicity\n")
                .append(" _atom_site_fract_x\n _atom_site_fract_y\n _atom_site_fract_z\n _atom_site_occupancy\n");
        Map<String, Integer> counters = new HashMap<>();
        for (Site site : s.sites()) {
            for (Map.Entry<Species, Double> e : site.species().entrySet()) {
                String sym = e.getKey().element().symbol();
                int n = counters.merge(sym, 1, Integer::sum);
                sb.append("  ").append(sym).append("  ").append(sym).append(n).append("  1");
                for (int k = 0; k < 3; k++) {
                    sb.append("  ").append(fmt(site.frac(k)));
                }
                sb.append("  ").append(occ(e.getValue())).append('\n');
            }
        }
        return sb.toString();
    }

    private static void kv(StringBuilder sb, String key, double v) {
        sb.append(key).append("   ").append(fmt(v)).append('\n');
    }

    private static String fmt(double v) {
        String s = String.format(Locale.ROOT, "%.8f", v);
        return s.equals("-0.00000000") ? "0.00000000" : s;
    }

    private static String occ(double v) {
        if (Math.abs(v - 1.0) < 1e-12) {
            return "1";
        }
        String s = String.format(Locale.ROOT, "%.6f", v);
        return s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}
