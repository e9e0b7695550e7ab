package io.dimstream.core.cif;

import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Species;
import io.dimstream.core.crystal.Structure;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a structure as a P 1 CIF (the layout pymatgen uses): cell parameters, volume and formula,
 * one identity operation, one {@code _atom_site} row per species on each site. A disordered site
 * (several species, partial occupancies, vacancies) becomes several rows at the same position, each
 * with its occupancy; the type symbol carries the oxidation state when known ({@code Fe3+}); labels
 * are numbered per element ({@code Fe1}, {@code Fe2}, ...). Reading it back with {@link CifParser}
 * gives the same structure (lattice up to rotation into the standard orientation; coordinates to
 * 1e-10; co-located rows merge back into the disordered site).
 */
public final class CifWriter {
    private CifWriter() {
    }

    public static String write(Structure s) {
        StringBuilder sb = new StringBuilder(320 + 80 * s.size());
        // a data block name is one token of printable ASCII: anything else becomes '_'
        String name = s.id().isEmpty() ? "structure" : s.id().replaceAll("[^\\x21-\\x7E]", "_");
        sb.append("# written by dimstream CifWriter\n");
        sb.append("data_").append(name).append('\n');
        sb.append("_symmetry_space_group_name_H-M   'P 1'\n");
        sb.append("_symmetry_Int_Tables_number   1\n");
        double[] l = s.lattice().lengths();
        double[] a = s.lattice().angles();
        String[] tags = {"_cell_length_a", "_cell_length_b", "_cell_length_c", "_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma"};
        double[] v = {l[0], l[1], l[2], a[0], a[1], a[2]};
        for (int i = 0; i < 6; i++) {
            sb.append(tags[i]).append("   ").append(num(v[i])).append('\n');
        }
        // informational only (the parser derives the volume from the parameters): 6 decimals
        sb.append("_cell_volume   ").append(String.format(Locale.ROOT, "%.6f", s.lattice().volume())).append('\n');
        if (s.size() > 0) {
            sb.append("_chemical_formula_sum   '").append(s.reducedFormula()).append("'\n");
        }
        sb.append("loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz\n  1  'x, y, z'\n");
        sb.append("loop_\n _atom_site_type_symbol\n _atom_site_label\n _atom_site_fract_x\n _atom_site_fract_y\n"
                + " _atom_site_fract_z\n _atom_site_occupancy\n");
        Map<String, Integer> counters = new HashMap<>();
        for (Site site : s.sites()) {
            for (Map.Entry<Species, Double> e : site.species().entrySet()) {
                String element = e.getKey().element().symbol();
                int n = counters.merge(element, 1, Integer::sum);
                sb.append("  ").append(e.getKey()).append("  ").append(element).append(n)
                        .append("  ").append(num(site.frac(0))).append("  ").append(num(site.frac(1)))
                        .append("  ").append(num(site.frac(2))).append("  ").append(occupancy(e.getValue())).append('\n');
            }
        }
        return sb.toString();
    }

    private static String num(double v) {
        String s = String.format(Locale.ROOT, "%.12f", v);
        return s.equals("-0.000000000000") ? "0.000000000000" : s;
    }

    /** "1" for a full site, otherwise the shortest of up to 12 decimals ("0.25"). */
    static String occupancy(double v) {
        if (v == 1.0) {
            return "1";
        }
        String s = String.format(Locale.ROOT, "%.12f", v);
        int end = s.length();
        while (s.charAt(end - 1) == '0') {
            end--;
        }
        if (s.charAt(end - 1) == '.') {
            end--;
        }
        return s.substring(0, end);
    }
}
