package io.dimstream.core.cif;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Non-standard settings of monoclinic and orthorhombic space groups ({@code P 1 21/n 1}, {@code P 21/a},
 * {@code A 1 2/n 1}, {@code P b n m}, {@code B b m m}, {@code P b 21 m}, ...), found by transforming the
 * standard operations and checking the symbol against what the transformed operations contain.
 *
 * <p>Candidates are the International Tables settings: the six axis permutations of the standard
 * setting (abc, ba-c, cab, -cba, bca, a-cb) and, for monoclinic groups, each combined with the three
 * cell choices (a, c, −a−c cycled in the plane normal to b). Coordinates change as x' = P⁻¹x with the
 * origin kept, which is how these settings are defined. A candidate matches the symbol when its lattice
 * centring is the symbol's letter and, along each of the three axes, the symbol's rotation (2 or 21)
 * and plane (m, a, b, c, n, d) are among the operations' axes and planes for that direction (a bare
 * rotation also requires no plane, a "1" neither). The answer is given only when exactly one distinct
 * set of operations matches; otherwise the symbol is ambiguous and refused.
 */
final class SettingSearch {

    /** Axis permutations, as the columns (new a, b, c in the old basis) of P. */
    private static final int[][][] PERMUTATIONS = {
        {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},     // abc
        {{0, 1, 0}, {1, 0, 0}, {0, 0, -1}},    // ba-c
        {{0, 0, 1}, {1, 0, 0}, {0, 1, 0}},     // cab
        {{0, 0, -1}, {0, 1, 0}, {1, 0, 0}},    // -cba
        {{0, 1, 0}, {0, 0, 1}, {1, 0, 0}},     // bca
        {{1, 0, 0}, {0, 0, -1}, {0, 1, 0}},    // a-cb
    };
    /** Monoclinic cell choices 1, 2, 3 (unique axis b): columns a', b', c'. */
    private static final int[][][] CELL_CHOICES = {
        {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
        {{0, 0, 1}, {0, 1, 0}, {-1, 0, -1}},
        {{-1, 0, -1}, {0, 1, 0}, {1, 0, 0}},
    };

    /** One position of a symbol: rotation ("1", "2", "21" or null) and plane letter (or null). */
    record Token(String rotation, Character plane) {
    }

    private SettingSearch() {
    }

    /**
     * The lattice letter and the three direction tokens of a symbol, or null when it is not a
     * monoclinic/orthorhombic-style symbol. A one-token symbol ({@code P 21/n}) is unique axis b.
     */
    static List<Token> parse(String symbol, StringBuilder lattice) {
        String s = symbol.trim();
        if (s.isEmpty() || "PABCIF".indexOf(Character.toUpperCase(s.charAt(0))) < 0) {
            return null;
        }
        lattice.append(Character.toUpperCase(s.charAt(0)));
        String rest = s.substring(1).trim();
        List<String> parts = new ArrayList<>();
        if (rest.contains(" ")) {
            for (String p : rest.split("\\s+")) {
                parts.add(p);
            }
        } else {
            int i = 0;
            while (i < rest.length()) {
                char c = rest.charAt(i);
                StringBuilder t = new StringBuilder();
                if (c == '2') {
                    t.append(c);
                    i++;
                    if (i < rest.length() && rest.charAt(i) == '1') {
                        t.append('1');
                        i++;
                    }
                    if (i + 1 < rest.length() && rest.charAt(i) == '/') {
                        t.append('/').append(rest.charAt(i + 1));
                        i += 2;
                    }
                } else {
                    t.append(c);
                    i++;
                }
                parts.add(t.toString());
            }
        }
        if (parts.size() == 1) {
            parts = List.of("1", parts.get(0), "1");
        }
        if (parts.size() != 3) {
            return null;
        }
        List<Token> tokens = new ArrayList<>(3);
        for (String p : parts) {
            Token t = token(p.toLowerCase(Locale.ROOT));
            if (t == null) {
                return null;
            }
            tokens.add(t);
        }
        return tokens;
    }

    private static Token token(String p) {
        switch (p) {
            case "1":
                return new Token("1", null);
            case "2":
            case "21":
                return new Token(p, null);
            default:
                break;
        }
        String rot = null;
        String plane = p;
        int slash = p.indexOf('/');
        if (slash >= 0) {
            rot = p.substring(0, slash);
            plane = p.substring(slash + 1);
            if (!rot.equals("2") && !rot.equals("21")) {
                return null;
            }
        }
        if (plane.length() != 1 || "mabcnd".indexOf(plane.charAt(0)) < 0) {
            return null;
        }
        return new Token(rot, plane.charAt(0));
    }

    /**
     * The operations of the one setting of a monoclinic or orthorhombic group in {@code standard}
     * matching the symbol, or a refusal.
     */
    static SpaceGroupTable.Lookup find(String hm, String lattice, List<Token> tokens,
                                       Iterable<SpaceGroupTable.Entry> standard, int itNumber) {
        Map<String, Match> matches = new LinkedHashMap<>();
        for (SpaceGroupTable.Entry e : standard) {
            if (e.number() < 3 || e.number() > 74 || itNumber > 0 && e.number() != itNumber) {
                continue;
            }
            int[][][] cells = e.number() <= 15 ? CELL_CHOICES : new int[][][] {CELL_CHOICES[0]};
            for (int[][] cell : cells) {
                for (int[][] perm : PERMUTATIONS) {
                    int[][] p = multiplyColumns(cell, perm);
                    List<SymOp> ops = transform(e.ops(), p);
                    if (matches(ops, lattice, tokens, false)) {
                        matches.putIfAbsent(canonical(ops), new Match(e, ops));
                    }
                }
            }
        }
        if (matches.isEmpty()) {
            return SpaceGroupTable.Lookup.refuse("'" + hm + "' is not a standard-setting Hermann-Mauguin symbol known here,"
                    + " nor a monoclinic/orthorhombic setting of one");
        }
        if (matches.size() > 1) {
            // centred cells have several plane types normal to one axis; the symbol names the plane
            // through the origin (C 1 2/c 1: the c-glide at y = 0, its n-glide sits at y = 1/4)
            Map<String, Match> strict = new LinkedHashMap<>();
            matches.forEach((k, m) -> {
                if (matches(m.ops(), lattice, tokens, true)) {
                    strict.put(k, m);
                }
            });
            if (strict.size() == 1) {
                matches = strict;
            }
        }
        if (matches.size() > 1) {
            Set<String> which = new TreeSet<>();
            matches.values().forEach(m -> which.add(m.entry().symbol() + " (No. " + m.entry().number() + ")"));
            return SpaceGroupTable.Lookup.refuse("'" + hm + "' fits " + matches.size() + " settings (of " + which
                    + "); the symbol alone is ambiguous");
        }
        Match m = matches.values().iterator().next();
        if (SpaceGroupTable.TWO_ORIGINS.contains(m.entry().number())) {
            return SpaceGroupTable.Lookup.refuse("'" + hm + "' is a setting of No. " + m.entry().number()
                    + ", which has two origin choices; the symbol names neither");
        }
        return new SpaceGroupTable.Lookup(m.ops(), m.entry(), null);
    }

    private record Match(SpaceGroupTable.Entry entry, List<SymOp> ops) {
    }

    /** P = A·B where A and B are given by columns; the result by columns too. */
    private static int[][] multiplyColumns(int[][] a, int[][] b) {
        int[][] out = new int[3][3];
        for (int col = 0; col < 3; col++) {
            for (int row = 0; row < 3; row++) {
                int v = 0;
                for (int k = 0; k < 3; k++) {
                    v += a[k][row] * b[col][k];
                }
                out[col][row] = v;
            }
        }
        return out;
    }

    /** (W, w) → (P⁻¹WP, P⁻¹w), translations reduced into [0, 1); P given by columns. */
    static List<SymOp> transform(List<SymOp> ops, int[][] pColumns) {
        double[][] p = new double[3][3];
        for (int col = 0; col < 3; col++) {
            for (int row = 0; row < 3; row++) {
                p[row][col] = pColumns[col][row];
            }
        }
        double[][] inv = io.dimstream.core.crystal.Mat3.inverse(p);
        List<SymOp> out = new ArrayList<>(ops.size());
        for (SymOp op : ops) {
            double[] r = op.rot();
            double[] t = op.trans();
            double[] nr = new double[9];
            double[] nt = new double[3];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    double v = 0;
                    for (int k = 0; k < 3; k++) {
                        for (int l = 0; l < 3; l++) {
                            v += inv[i][k] * r[3 * k + l] * p[l][j];
                        }
                    }
                    nr[3 * i + j] = Math.rint(v);
                }
                double v = 0;
                for (int k = 0; k < 3; k++) {
                    v += inv[i][k] * t[k];
                }
                nt[i] = mod1(v);
            }
            out.add(new SymOp(nr, nt));
        }
        return List.copyOf(out);
    }

    private static double mod1(double v) {
        double f = v - Math.floor(v);
        f = Math.rint(f * 48) / 48;
        return f >= 1 ? 0 : f;
    }

    private static String canonical(List<SymOp> ops) {
        TreeSet<String> keys = new TreeSet<>();
        for (SymOp op : ops) {
            StringBuilder sb = new StringBuilder();
            for (double v : op.rot()) {
                sb.append((int) v).append(',');
            }
            for (double v : op.trans()) {
                sb.append((int) Math.rint(mod1(v) * 48)).append(',');
            }
            keys.add(sb.toString());
        }
        return String.join(";", keys);
    }

    /**
     * Whether the operations fit the symbol; {@code throughOrigin}: each named plane must also exist as
     * a plane through the origin (the tie-break between settings of centred cells).
     */
    static boolean matches(List<SymOp> ops, String lattice, List<Token> tokens, boolean throughOrigin) {
        if (!centring(ops).equals(lattice)) {
            return false;
        }
        // monoclinic form (two positions "1"): a bare plane means no rotation along that axis
        long ones = tokens.stream().filter(t -> "1".equals(t.rotation())).count();
        for (int axis = 0; axis < 3; axis++) {
            Set<String> rotations = new TreeSet<>();
            Set<Character> planes = new TreeSet<>();
            elements(ops, axis, rotations, planes, throughOrigin);
            Token t = tokens.get(axis);
            if (ones == 2 && t.rotation() == null && !rotations.isEmpty()) {
                return false;
            }
            if ("1".equals(t.rotation())) {
                if (!rotations.isEmpty() || !planes.isEmpty()) {
                    return false;
                }
                continue;
            }
            if (t.rotation() != null && !rotations.contains(t.rotation())) {
                return false;
            }
            if (t.plane() == null) {
                if (!planes.isEmpty()) {
                    return false;
                }
            } else if (!planes.contains(t.plane())) {
                return false;
            }
        }
        return true;
    }

    /** Lattice letter from the pure translations among the operations. */
    static String centring(List<SymOp> ops) {
        boolean a = false;
        boolean b = false;
        boolean c = false;
        boolean i = false;
        for (SymOp op : ops) {
            double[] r = op.rot();
            if (!(r[0] == 1 && r[4] == 1 && r[8] == 1 && r[1] == 0 && r[2] == 0 && r[3] == 0 && r[5] == 0 && r[6] == 0
                    && r[7] == 0)) {
                continue;
            }
            double[] t = op.trans();
            boolean x = half(t[0]);
            boolean y = half(t[1]);
            boolean z = half(t[2]);
            a |= !x && y && z && zero(t[0]);
            b |= x && !y && z && zero(t[1]);
            c |= x && y && !z && zero(t[2]);
            i |= x && y && z;
        }
        if (a && b && c) {
            return "F";
        }
        return a ? "A" : b ? "B" : c ? "C" : i ? "I" : "P";
    }

    /**
     * The rotations (2, 21) along {@code axis} and the planes (m, a, b, c, n, d) normal to it (only
     * those through the origin when asked).
     */
    static void elements(List<SymOp> ops, int axis, Set<String> rotations, Set<Character> planes,
                         boolean planesThroughOrigin) {
        for (SymOp op : ops) {
            double[] r = op.rot();
            boolean diagonal = r[1] == 0 && r[2] == 0 && r[3] == 0 && r[5] == 0 && r[6] == 0 && r[7] == 0;
            if (!diagonal) {
                continue;
            }
            double[] d = {r[0], r[4], r[8]};
            double[] t = op.trans();
            boolean twofold = d[axis] == 1 && d[(axis + 1) % 3] == -1 && d[(axis + 2) % 3] == -1;
            boolean mirror = d[axis] == -1 && d[(axis + 1) % 3] == 1 && d[(axis + 2) % 3] == 1;
            if (twofold) {
                rotations.add(zero(t[axis]) ? "2" : half(t[axis]) ? "21" : "?");
            } else if (mirror && (!planesThroughOrigin || zero(t[axis]))) {
                int j = (axis + 1) % 3;
                int k = (axis + 2) % 3;
                double gj = mod1(t[j]);
                double gk = mod1(t[k]);
                char type;
                if (zero(gj) && zero(gk)) {
                    type = 'm';
                } else if (half(gj) && zero(gk)) {
                    type = "abc".charAt(j);
                } else if (zero(gj) && half(gk)) {
                    type = "abc".charAt(k);
                } else if (half(gj) && half(gk)) {
                    type = 'n';
                } else if (quarter(gj) && quarter(gk)) {
                    type = 'd';
                } else {
                    type = '?';
                }
                planes.add(type);
            }
        }
    }

    private static boolean zero(double v) {
        double f = mod1(v);
        return f < 1e-6;
    }

    private static boolean half(double v) {
        return Math.abs(mod1(v) - 0.5) < 1e-6;
    }

    private static boolean quarter(double v) {
        double f = mod1(v);
        return Math.abs(f - 0.25) < 1e-6 || Math.abs(f - 0.75) < 1e-6;
    }
}
