package io.dimstream.core.cif;

import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Species;
import io.dimstream.core.crystal.Structure;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a structure as a P 1 CIF (the layout pymatgen uses): cell parameters, one identity
 * operation, one {@code _atom_site} row per species on each site. Reading it back with
 * {@link CifParser} gives the same structure (lattice up to rotation into the standard
 * orientation; coordinates to 1e-10).
 */
public final class CifWriter {
    private CifWriter() {
    }

    public static String write(Structure s) {
        StringBuilder sb = new StringBuilder(256 + 80 * s.size());
        String name = s.id().isEmpty() ? "structure" : s.id().replaceAll("\\s", "_");
        sb.append("# written by dimstream CifWriter\n");
        sb.append("data_").append(name).append('\n');
        sb.append("_symmetry_space_group_name_H-M   'P 1'\n");
        double[] l = s.lattice().lengths();
        double[] a = s.lattice().angles();
        String[] tags = {"_cell_length_a", "_cell_length_b", "_cell_length_c", "_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma"};
        double[] v = {l[0], l[1], l[2], a[0], a[1], a[2]};
        for (int i = 0; i < 6; i++) {
            sb.append(tags[i]).append("   ").append(num(v[i])).append('\n');
        }
        sb.append("loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz\n  1  'x, y, z'\n");
        sb.append("loop_\n _atom_site_type_symbol\n _atom_site_label\n _atom_site_fract_x\n _atom_site_fract_y\n"
                + " _atom_site_fract_z\n _atom_site_occupancy\n");
        int k = 0;
        for (Site site : s.sites()) {
            for (Map.Entry<Species, Double> e : site.species().entrySet()) {
                String sym = e.getKey().toString();
                sb.append("  ").append(sym).append("  ").append(e.getKey().element().symbol()).append(k++)
                        .append("  ").append(num(site.frac(0))).append("  ").append(num(site.frac(1)))
                        .append("  ").append(num(site.frac(2))).append("  ").append(num(e.getValue())).append('\n');
            }
        }
        return sb.toString();
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.12f", v);
    }
}
