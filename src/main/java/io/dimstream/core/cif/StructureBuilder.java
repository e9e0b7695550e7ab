package io.dimstream.core.cif;

import static io.dimstream.core.cif.CifParser.MAX_COMPARISONS;
import static io.dimstream.core.cif.CifParser.MAX_SITES;
import static io.dimstream.core.cif.CifParser.MAX_SYMOPS;
import static io.dimstream.core.crystal.Periodic.wrap;

import io.dimstream.core.cif.CifBlock.Column;
import io.dimstream.core.crystal.Lattice;
import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Species;
import io.dimstream.core.crystal.Structure;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CIF semantics: one {@link CifBlock} → one full-cell {@link Structure}. Reads the cell, finds the
 * symmetry operations (an operations loop, else a Hall symbol, else the space-group table), expands
 * the asymmetric unit (snapping coordinates written as 1/6 or 1/12 fractions), converts Cartesian
 * sites to fractional ones, and merges images and sites closer than the merge tolerance under periodic
 * boundaries into (possibly disordered) sites. Returns null for a block without atom sites.
 */
final class StructureBuilder {

    private static final String[] SYMOP_TAGS = {
        "_symmetry_equiv_pos_as_xyz", "_space_group_symop_operation_xyz",
        "_space_group_symop.operation_xyz", "_symmetry_equiv.pos_as_xyz"
    };
    private static final String[] HALL_TAGS = {
        "_symmetry_space_group_name_hall", "_space_group_name_hall", "_space_group.name_hall"
    };
    private static final String[] HM_TAGS = {
        "_symmetry_space_group_name_h-m", "_space_group_name_h-m_alt", "_space_group.name_h-m_alt"
    };
    private static final String[] NUMBER_TAGS = {
        "_symmetry_int_tables_number", "_space_group_it_number", "_space_group.it_number"
    };

    private final CifBlock b;
    private final String origin;

    private final double mergeTolerance;
    private final double occupancyTolerance;

    /**
     * @param mergeTolerance     Å: images/sites closer than this are the same site
     * @param occupancyTolerance a site's occupancy sum may exceed 1 by this much (it is then scaled to 1)
     */
    StructureBuilder(CifBlock b, String origin, double mergeTolerance, double occupancyTolerance) {
        this.b = b;
        this.origin = origin;
        this.mergeTolerance = mergeTolerance;
        this.occupancyTolerance = occupancyTolerance;
    }

    private CifException error(String type, int line, String reason) {
        return new CifException(type, origin, b.name, line, reason);
    }

    private Column col(String tag) {
        Column c = b.columns.get(tag);
        if (c != null && c.loop != null && c.loop.malformed) {
            throw error(CifException.MALFORMED_LOOP, c.loop.line, "loop with " + c.loop.tags.size()
                    + " tags has " + c.loop.count + " values, not a multiple of " + c.loop.tags.size());
        }
        return c;
    }

    Structure build() {
        Column fx = col("_atom_site_fract_x");
        Column fy = col("_atom_site_fract_y");
        Column fz = col("_atom_site_fract_z");
        String axisTag = "_atom_site_fract_";
        if (fx == null && fy == null && fz == null) {
            // no fractional coordinates: Cartesian ones (Å) are converted with the block's frame
            fx = col("_atom_site_cartn_x");
            fy = col("_atom_site_cartn_y");
            fz = col("_atom_site_cartn_z");
            axisTag = "_atom_site_Cartn_";
            if (fx == null && fy == null && fz == null) {
                return null;
            }
        }
        if (fx == null || fy == null || fz == null) {
            Column any = fx != null ? fx : fy != null ? fy : fz;
            throw error(CifException.NO_ATOMS, any.line(0), "atom sites lack " + axisTag
                    + (fx == null ? "x" : fy == null ? "y" : "z"));
        }
        boolean cartesian = axisTag.equals("_atom_site_Cartn_");
        Lattice lattice = lattice();
        CartesianFrame frame = cartesian ? cartesianFrame(lattice) : null;
        List<SymOp> ops = symops(lattice);
        Column label = col("_atom_site_label");
        Column type = col("_atom_site_type_symbol");
        Column occ = col("_atom_site_occupancy");
        Column flag = col("_atom_site_calc_flag");
        int rows = fx.rows();
        for (Column c : new Column[] {fy, fz, label, type, occ, flag}) {
            if (c != null && c.rows() != rows) {
                throw error(CifException.MALFORMED_LOOP, c.line(0),
                        "atom-site columns have different lengths (" + rows + " vs " + c.rows() + ")");
            }
        }
        Map<String, Double> oxByType = oxidationTable();
        SiteSet sites = new SiteSet(lattice, mergeTolerance);
        double[] img = new double[3];
        List<double[]> own = new ArrayList<>(ops.size());
        for (int r = 0; r < rows; r++) {
            if (flag != null && "dum".equalsIgnoreCase(flag.get(r))) {
                continue;
            }
            String lab = label == null ? null : label.get(r);
            String who = lab != null ? "'" + lab + "'" : "#" + (r + 1);
            double x = coordinate(fx, r, who, axisTag + "x", !cartesian);
            double y = coordinate(fy, r, who, axisTag + "y", !cartesian);
            double z = coordinate(fz, r, who, axisTag + "z", !cartesian);
            if (frame != null) {
                double[] f = frame.toFractional(x, y, z);
                x = f[0];
                y = f[1];
                z = f[2];
            }
            double o = 1.0;
            if (occ != null && occ.get(r) != null) {
                o = CifNumbers.parse(occ.get(r));
                if (Double.isNaN(o) || o < 0) {
                    throw error(CifException.BAD_NUMBER, occ.line(r),
                            "atom " + who + " has occupancy '" + occ.get(r) + "'");
                }
            }
            if (o > 1 + occupancyTolerance) {
                throw error(CifException.OCCUPANCY_SUM, occ.line(r),
                        "atom " + who + " has occupancy " + occ.get(r) + " > 1");
            }
            if (o == 0) {
                continue;
            }
            Species sp = species(type, label, r, who, oxByType);
            own.clear();
            for (SymOp op : ops) {
                op.apply(x, y, z, img);
                double a = wrap(img[0]);
                double bb = wrap(img[1]);
                double c = wrap(img[2]);
                boolean dup = false;
                sites.charge(own.size(), this, fx.line(r));
                for (double[] p : own) {
                    if (sites.close(p[0], p[1], p[2], a, bb, c)) {
                        dup = true;
                        break;
                    }
                }
                if (dup) {
                    continue;
                }
                own.add(new double[] {a, bb, c});
                sites.charge(sites.size(), this, fx.line(r));
                sites.add(a, bb, c, sp, o, lab, fx.line(r));
                if (sites.size() > MAX_SITES) {
                    throw error(CifException.TOO_LARGE, fx.line(r),
                            "more than " + MAX_SITES + " sites in the expanded cell");
                }
            }
        }
        if (sites.size() == 0) {
            throw error(CifException.NO_ATOMS, fx.line(0), "no atom sites with non-zero occupancy");
        }
        List<Site> list = sites.toSites(occupancyTolerance, this);
        return new Structure(b.name, lattice, list);
    }

    private double coordinate(Column c, int r, String who, String tag, boolean fractional) {
        String s = c.get(r);
        double v = CifNumbers.parse(s);
        if (Double.isNaN(v) || Math.abs(v) > 1e6) {
            throw error(CifException.BAD_NUMBER, c.line(r), "atom " + who + " has "
                    + (s == null ? "no" : "a non-numeric") + " " + tag + (s == null ? "" : " '" + s + "'"));
        }
        return fractional ? snap(v, decimals(s)) : v;
    }

    /**
     * Cartesian → fractional for {@code _atom_site_Cartn_x/y/z}: with
     * {@code _atom_sites_Cartn_tran_matrix_ij} (and {@code _tran_vector_i}) given, cart = M·frac + v
     * as the CIF core dictionary defines them; without, the dictionary's default frame, the one
     * {@link Lattice#fromParameters} builds (a along x, b in the xy plane).
     */
    private CartesianFrame cartesianFrame(Lattice lattice) {
        double[][] m = new double[3][3];
        int given = 0;
        int line = b.line;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                Column c = b.columns.get("_atom_sites_cartn_tran_matrix_" + (i + 1) + (j + 1));
                if (c != null && c.get(0) != null) {
                    m[i][j] = CifNumbers.parse(c.get(0));
                    line = c.line(0);
                    given++;
                    if (Double.isNaN(m[i][j])) {
                        throw error(CifException.BAD_NUMBER, c.line(0), "_atom_sites_Cartn_tran_matrix_" + (i + 1)
                                + (j + 1) + " '" + c.get(0) + "' is not a number");
                    }
                }
            }
        }
        if (given == 0) {
            return (x, y, z) -> lattice.toFractional(new double[] {x, y, z});
        }
        if (given != 9) {
            throw error(CifException.BAD_CELL, line, "_atom_sites_Cartn_tran_matrix has " + given
                    + " of its 9 elements");
        }
        double[] v = new double[3];
        for (int i = 0; i < 3; i++) {
            Column c = b.columns.get("_atom_sites_cartn_tran_vector_" + (i + 1));
            v[i] = c == null || c.get(0) == null ? 0 : CifNumbers.parse(c.get(0));
            if (Double.isNaN(v[i])) {
                throw error(CifException.BAD_NUMBER, c.line(0), "_atom_sites_Cartn_tran_vector_" + (i + 1) + " '"
                        + c.get(0) + "' is not a number");
            }
        }
        double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
        if (!(Math.abs(det) > 1e-9)) {
            throw error(CifException.BAD_CELL, line, "_atom_sites_Cartn_tran_matrix is singular");
        }
        double[][] inv = io.dimstream.core.crystal.Mat3.inverse(m);
        return (x, y, z) -> {
            double px = x - v[0];
            double py = y - v[1];
            double pz = z - v[2];
            return new double[] {
                inv[0][0] * px + inv[0][1] * py + inv[0][2] * pz,
                inv[1][0] * px + inv[1][1] * py + inv[1][2] * pz,
                inv[2][0] * px + inv[2][1] * py + inv[2][2] * pz};
        };
    }

    /**
     * Operations from the Hermann–Mauguin symbol or IT number when the block has neither an
     * operations loop nor a Hall symbol ({@link SpaceGroupTable}); P 1 or no symmetry information
     * at all means the sites are the whole cell.
     */
    private List<SymOp> fromSymbolOrNumber(Lattice lattice) {
        Column hm = null;
        String hmTag = null;
        for (String t : HM_TAGS) {
            Column c = b.columns.get(t);
            if (c != null && c.get(0) != null && !c.get(0).isBlank()) {
                hm = c;
                hmTag = t;
                break;
            }
        }
        Column num = null;
        int number = 0;
        for (String t : NUMBER_TAGS) {
            Column c = b.columns.get(t);
            if (c != null && c.get(0) != null) {
                double v = CifNumbers.parse(c.get(0));
                if (v == Math.rint(v) && v >= 1 && v <= 230) {
                    num = c;
                    number = (int) v;
                    break;
                }
            }
        }
        String missing = "; loop _symmetry_equiv_pos_as_xyz or _space_group_symop_operation_xyz is missing";
        if (hm != null) {
            String sym = SpaceGroupTable.normalize(hm.get(0));
            if (sym.equals("p1") && number <= 1) {
                return List.of(SymOp.IDENTITY);
            }
            SpaceGroupTable.Lookup l = SpaceGroupTable.get().byHermannMauguin(hm.get(0), number, cellParameters(lattice));
            if (l.found()) {
                return l.ops();
            }
            throw error(CifException.NO_SYMOPS, hm.line(0), "space group given only as " + hmTag + " '"
                    + hm.get(0) + "': " + l.refusal() + missing);
        }
        if (num != null && number > 1) {
            SpaceGroupTable.Lookup l = SpaceGroupTable.get().byNumber(number, cellParameters(lattice));
            if (l.found()) {
                return l.ops();
            }
            throw error(CifException.NO_SYMOPS, num.line(0), "space group given only as IT number " + number + ": "
                    + l.refusal() + missing);
        }
        return List.of(SymOp.IDENTITY); // no symmetry information at all, or P 1: the sites are the cell
    }

    /** a, b, c, α, β, γ of the block's (already parsed) cell. */
    private static double[] cellParameters(Lattice lattice) {
        double[] l = lattice.lengths();
        double[] a = lattice.angles();
        return new double[] {l[0], l[1], l[2], a[0], a[1], a[2]};
    }

    private Column firstCoordinateColumn() {
        Column c = b.columns.get("_atom_site_fract_x");
        return c != null ? c : b.columns.get("_atom_site_cartn_x");
    }

    private Species species(Column type, Column label, int r, String who, Map<String, Double> oxByType) {
        String sym = type == null ? null : type.get(r);
        ElementSymbols.Parsed p = sym == null ? ElementSymbols.UNKNOWN : ElementSymbols.parse(sym);
        if (p.element() == null && label != null) {
            p = ElementSymbols.parse(label.get(r));
        }
        if (p.element() == null) {
            Column where = type != null ? type : label != null ? label : firstCoordinateColumn();
            String shown = sym != null ? sym : label != null ? label.get(r) : null;
            throw error(CifException.UNKNOWN_ELEMENT, where.line(r), "atom " + who
                    + (shown == null ? " has no type symbol or label" : ": '" + shown + "' is not an element symbol"));
        }
        double ox = p.oxidation();
        if (sym != null && oxByType != null) {
            Double t = oxByType.get(sym);
            if (t != null) {
                ox = t;
            }
        }
        if (Math.abs(ox) > 12) {
            ox = Double.NaN;
        }
        return new Species(p.element(), ox);
    }

    private Map<String, Double> oxidationTable() {
        Column sym = col("_atom_type_symbol");
        Column ox = col("_atom_type_oxidation_number");
        if (sym == null || ox == null || sym.rows() != ox.rows()) {
            return null;
        }
        Map<String, Double> m = new HashMap<>();
        for (int i = 0; i < sym.rows(); i++) {
            double v = CifNumbers.parse(ox.get(i));
            if (sym.get(i) != null && !Double.isNaN(v)) {
                m.put(sym.get(i), v);
            }
        }
        return m;
    }

    private Lattice lattice() {
        double a = cellValue("_cell_length_a", Double.NaN);
        double bb = cellValue("_cell_length_b", Double.NaN);
        double c = cellValue("_cell_length_c", Double.NaN);
        double al = cellValue("_cell_angle_alpha", 90);
        double be = cellValue("_cell_angle_beta", 90);
        double ga = cellValue("_cell_angle_gamma", 90);
        for (double v : new double[] {a, bb, c}) {
            if (!(v > 0) || v > 1e4) {
                throw error(CifException.BAD_CELL, line("_cell_length_a"),
                        String.format(Locale.ROOT, "cell lengths %s, %s, %s are not all in (0, 10000] A", a, bb, c));
            }
        }
        for (double v : new double[] {al, be, ga}) {
            if (!(v > 0 && v < 180)) {
                throw error(CifException.BAD_CELL, line("_cell_angle_alpha"),
                        String.format(Locale.ROOT, "cell angles %s, %s, %s are not all in (0, 180) degrees", al, be, ga));
            }
        }
        try {
            return Lattice.fromParameters(a, bb, c, al, be, ga);
        } catch (IllegalArgumentException e) {
            throw error(CifException.BAD_CELL, line("_cell_angle_alpha"), e.getMessage());
        }
    }

    private int line(String tag) {
        Column c = b.columns.get(tag);
        return c == null ? b.line : c.line(0);
    }

    private double cellValue(String tag, double dflt) {
        Column c = col(tag);
        if (c == null || c.get(0) == null) {
            if (!Double.isNaN(dflt)) {
                return dflt;
            }
            throw error(CifException.MISSING_CELL, c == null ? b.line : c.line(0),
                    "missing " + tag + (c == null ? "" : " value"));
        }
        double v = CifNumbers.parse(c.get(0));
        if (Double.isNaN(v)) {
            throw error(CifException.BAD_NUMBER, c.line(0), tag + " '" + c.get(0) + "' is not a number");
        }
        return v;
    }

    private List<SymOp> symops(Lattice lattice) {
        Column ops = null;
        String opsTag = null;
        for (String t : SYMOP_TAGS) {
            ops = col(t);
            if (ops != null) {
                opsTag = t;
                break;
            }
        }
        if (ops == null) {
            for (String t : HALL_TAGS) {
                Column c = b.columns.get(t);
                if (c != null && c.get(0) != null) {
                    List<SymOp> generated = HallSymbol.generate(c.get(0));
                    if (generated != null) {
                        return generated;
                    }
                    throw error(CifException.NO_SYMOPS, c.line(0), "Hall symbol '" + c.get(0)
                            + "' is not valid and loop _symmetry_equiv_pos_as_xyz or _space_group_symop_operation_xyz is missing");
                }
            }
            return fromSymbolOrNumber(lattice);
        }
        if (ops.rows() > MAX_SYMOPS) {
            throw error(CifException.TOO_LARGE, ops.line(0), "more than " + MAX_SYMOPS + " symmetry operations");
        }
        List<SymOp> list = new ArrayList<>(ops.rows());
        for (int i = 0; i < ops.rows(); i++) {
            String s = ops.get(i);
            SymOp op = s == null ? null : SymOp.parse(s);
            if (op == null) {
                throw error(CifException.BAD_SYMOP, ops.line(i),
                        "symmetry operation " + (s == null ? "is empty" : "'" + s + "' is not a valid xyz operation") + " (" + opsTag + ")");
            }
            if (!list.contains(op)) {
                list.add(op);
            }
        }
        if (list.isEmpty()) {
            throw error(CifException.NO_SYMOPS, ops.line(0), opsTag + " loop has no operations");
        }
        return list;
    }

    /** Cartesian (Å) → fractional coordinates of one block. */
    @FunctionalInterface
    private interface CartesianFrame {
        double[] toFractional(double x, double y, double z);
    }

    private static final double[] ROUNDING = {0.5, 0.05, 0.005, 5e-4, 5e-5, 5e-6, 5e-7, 5e-8, 5e-9, 5e-10, 5e-11};

    /**
     * Snaps values written with few decimals to the fraction they stand for: 0.3333 → 1/3,
     * 0.667 → 2/3, 0.0833 → 1/12. A value snaps to k/6 when within 6e-4 and to k/12 when within
     * 2e-4, but never by more than 3x the rounding of the written decimals (so 0.33340000 written
     * with 8 decimals stays as it is).
     */
    static double snap(double v, int decimals) {
        if (decimals < 3) {
            return v;
        }
        double rounding = decimals < ROUNDING.length ? 3 * ROUNDING[decimals] : 0;
        double k6 = Math.rint(v * 6);
        if (Math.abs(v - k6 / 6) < Math.min(6e-4, rounding)) {
            return k6 / 6;
        }
        double k12 = Math.rint(v * 12);
        if (Math.abs(v - k12 / 12) < Math.min(2e-4, rounding)) {
            return k12 / 12;
        }
        return v;
    }

    /** Digits after the decimal point of a CIF number (before any s.u. or exponent). */
    static int decimals(String s) {
        int dot = s.indexOf('.');
        if (dot < 0) {
            return 0;
        }
        int d = 0;
        for (int i = dot + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            d++;
        }
        return d;
    }

    /** The full-cell sites, merged under periodic boundaries. */
    private static final class SiteSet {
        private final Lattice lattice;
        private final double tol2;
        private final double[] fracTol = new double[3];
        private final double[][] m;
        private final List<double[]> pos = new ArrayList<>();
        private final List<Map<Species, Double>> species = new ArrayList<>();
        private final List<String> labels = new ArrayList<>();
        private final List<String> allLabels = new ArrayList<>();
        private final List<Integer> lines = new ArrayList<>();

        SiteSet(Lattice lattice, double tol) {
            this.lattice = lattice;
            this.tol2 = tol * tol;
            double[][] inv = lattice.inverse();
            this.m = lattice.matrix();
            for (int k = 0; k < 3; k++) {
                fracTol[k] = tol * Math.sqrt(inv[0][k] * inv[0][k] + inv[1][k] * inv[1][k] + inv[2][k] * inv[2][k]);
            }
        }

        private long comparisons;

        int size() {
            return pos.size();
        }

        void charge(int n, StructureBuilder owner, int line) {
            comparisons += n;
            if (comparisons > MAX_COMPARISONS) {
                throw owner.error(CifException.TOO_LARGE, line,
                        "expanding the atom sites needs more than " + MAX_COMPARISONS + " site comparisons");
            }
        }

        /**
         * Exact "closer than tol under PBC": the true minimum image of a pair within tol has
         * |Δf_k| ≤ tol·|b*_k| < 0.5 on every axis, so it is the rint-wrapped difference.
         */
        boolean close(double x1, double y1, double z1, double x2, double y2, double z2) {
            double d0 = x2 - x1;
            d0 -= Math.rint(d0);
            if (Math.abs(d0) > fracTol[0]) {
                return false;
            }
            double d1 = y2 - y1;
            d1 -= Math.rint(d1);
            if (Math.abs(d1) > fracTol[1]) {
                return false;
            }
            double d2 = z2 - z1;
            d2 -= Math.rint(d2);
            if (Math.abs(d2) > fracTol[2]) {
                return false;
            }
            double x = d0 * m[0][0] + d1 * m[1][0] + d2 * m[2][0];
            double y = d0 * m[0][1] + d1 * m[1][1] + d2 * m[2][1];
            double z = d0 * m[0][2] + d1 * m[1][2] + d2 * m[2][2];
            return x * x + y * y + z * z < tol2;
        }

        void add(double x, double y, double z, Species sp, double occ, String label, int line) {
            for (int i = 0; i < pos.size(); i++) {
                double[] p = pos.get(i);
                if (close(p[0], p[1], p[2], x, y, z)) {
                    species.get(i).merge(sp, occ, Double::sum);
                    if (label != null && !allLabels.get(i).contains(label)) {
                        allLabels.set(i, allLabels.get(i) + "/" + label);
                    }
                    return;
                }
            }
            pos.add(new double[] {x, y, z});
            Map<Species, Double> m1 = new LinkedHashMap<>(2);
            m1.put(sp, occ);
            species.add(m1);
            labels.add(label);
            lines.add(line);
            allLabels.add(label == null ? "?" : label);
        }

        List<Site> toSites(double occTol, StructureBuilder owner) {
            List<Site> out = new ArrayList<>(pos.size());
            for (int i = 0; i < pos.size(); i++) {
                Map<Species, Double> sp = species.get(i);
                double sum = 0;
                for (double o : sp.values()) {
                    sum += o;
                }
                if (sum > 1 + occTol) {
                    double[] p = pos.get(i);
                    throw owner.error(CifException.OCCUPANCY_SUM, lines.get(i), String.format(Locale.ROOT,
                            "occupancies at (%.4f, %.4f, %.4f) (sites %s) sum to %.3f > 1",
                            p[0], p[1], p[2], allLabels.get(i), sum));
                }
                if (sum > 1) {
                    for (Map.Entry<Species, Double> e : sp.entrySet()) {
                        e.setValue(e.getValue() / sum);
                    }
                }
                out.add(new Site(pos.get(i), sp, labels.get(i)));
            }
            return out;
        }
    }
}
