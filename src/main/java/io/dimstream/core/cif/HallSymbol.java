package io.dimstream.core.cif;

import io.dimstream.core.crystal.Periodic;
import java.util.ArrayList;
import java.util.List;

/**
 * Symmetry operations from a Hall space-group symbol (S. R. Hall, Acta Cryst. A37, 517 (1981);
 * International Tables B §1.4): {@code [-]L N[A][T] ... [(vx vy vz)]}, e.g. {@code -P 2ac 2ab},
 * {@code P 31 2 (0 0 4)}, {@code -R 3 2"c}, {@code F 4d 2 3 -1d}. The operations are generated
 * from the symbol's rules (lattice centring, default axes, translation and screw symbols, origin
 * shift in twelfths), not looked up in a table.
 */
public final class HallSymbol {
    private HallSymbol() {
    }

    private static final int MAX_OPS = 192;

    private static final int CACHE_MAX = 2048;
    private static final java.util.concurrent.ConcurrentHashMap<String, List<SymOp>> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The full list of operations (translations in [0,1)), or null when the symbol is not valid.
     * Valid symbols are cached (at most 2048), so repeated symbols cost a lookup.
     */
    public static List<SymOp> generate(String symbol) {
        if (symbol == null) {
            return null;
        }
        List<SymOp> cached = CACHE.get(symbol);
        if (cached != null) {
            return cached;
        }
        List<SymOp> ops = build(symbol);
        if (ops != null) {
            ops = List.copyOf(ops);
            if (CACHE.size() < CACHE_MAX) {
                CACHE.put(symbol, ops);
            }
        }
        return ops;
    }

    private static List<SymOp> build(String symbol) {
        if (symbol == null || symbol.length() > 80) {
            return null;
        }
        String s = symbol.trim().replace('_', ' ');
        double[] shift = null;
        int paren = s.indexOf('(');
        if (paren >= 0) {
            int close = s.indexOf(')', paren);
            if (close < 0) {
                return null;
            }
            String[] v = s.substring(paren + 1, close).trim().split("\\s+");
            if (v.length != 3) {
                return null;
            }
            shift = new double[3];
            for (int k = 0; k < 3; k++) {
                double x = CifNumbers.parse(v[k]);
                if (Double.isNaN(x)) {
                    return null;
                }
                shift[k] = x / 12.0;
            }
            s = s.substring(0, paren).trim();
        }
        String[] tokens = s.split("\\s+");
        if (tokens.length < 1 || tokens[0].isEmpty()) {
            return null;
        }
        List<double[]> gens = new ArrayList<>(); // each: 9 rotation + 3 translation
        String lat = tokens[0];
        boolean centro = lat.startsWith("-");
        if (centro) {
            lat = lat.substring(1);
        }
        if (lat.length() != 1) {
            return null;
        }
        double[][] centring = centring(Character.toUpperCase(lat.charAt(0)));
        if (centring == null) {
            return null;
        }
        if (centro) {
            gens.add(op(scale(ROT_1, -1), new double[3]));
        }
        for (double[] c : centring) {
            gens.add(op(ROT_1, c));
        }
        int prevN = 0;
        char prevAxis = 0;
        for (int m = 1; m < tokens.length; m++) {
            String t = tokens[m];
            int i = 0;
            boolean improper = false;
            if (i < t.length() && t.charAt(i) == '-') {
                improper = true;
                i++;
            }
            if (i >= t.length()) {
                return null;
            }
            char nc = t.charAt(i++);
            int n = nc - '0';
            if (n != 1 && n != 2 && n != 3 && n != 4 && n != 6) {
                return null;
            }
            char axis = 0;
            int screw = 0;
            double[] tr = new double[3];
            for (; i < t.length(); i++) {
                char c = t.charAt(i);
                switch (c) {
                    case 'x', 'y', 'z', '\'', '"', '*' -> {
                        if (axis != 0) {
                            return null;
                        }
                        axis = c;
                    }
                    case 'a' -> tr[0] += 0.5;
                    case 'b' -> tr[1] += 0.5;
                    case 'c' -> tr[2] += 0.5;
                    case 'n' -> {
                        tr[0] += 0.5;
                        tr[1] += 0.5;
                        tr[2] += 0.5;
                    }
                    case 'u' -> tr[0] += 0.25;
                    case 'v' -> tr[1] += 0.25;
                    case 'w' -> tr[2] += 0.25;
                    case 'd' -> {
                        tr[0] += 0.25;
                        tr[1] += 0.25;
                        tr[2] += 0.25;
                    }
                    default -> {
                        if (c >= '1' && c <= '5' && screw == 0 && n > 2) {
                            screw = c - '0';
                        } else {
                            return null;
                        }
                    }
                }
            }
            if (axis == 0) {
                if (m == 1) {
                    axis = 'z';
                } else if (m == 2 && n == 2) {
                    axis = (prevN == 2 || prevN == 4) ? 'x' : (prevN == 3 || prevN == 6) ? '\'' : 0;
                } else if (m == 3 && n == 3) {
                    axis = '*';
                } else if (n == 1) {
                    axis = 'z';
                }
                if (axis == 0) {
                    return null;
                }
            }
            double[] rot = rotation(n, axis, prevAxis);
            if (rot == null) {
                return null;
            }
            if (screw > 0) {
                char ax = axis == 'x' || axis == 'y' || axis == 'z' ? axis : 0;
                if (ax == 0 || screw >= n) {
                    return null;
                }
                tr[ax - 'x'] += (double) screw / n;
            }
            gens.add(op(improper ? scale(rot, -1) : rot, tr));
            prevN = n;
            if (axis == 'x' || axis == 'y' || axis == 'z') {
                prevAxis = axis;
            }
        }
        List<double[]> group = closure(gens);
        if (group == null) {
            return null;
        }
        List<SymOp> out = new ArrayList<>(group.size());
        for (double[] g : group) {
            double[] rot = new double[9];
            double[] t = new double[3];
            for (int i = 0; i < 9; i++) {
                rot[i] = g[i] + 0.0;
            }
            System.arraycopy(g, 9, t, 0, 3);
            if (shift != null) {
                // operator in the shifted basis: x' = R(x - v) + t + v  =>  t' = t + v - R v
                for (int r = 0; r < 3; r++) {
                    t[r] += shift[r] - (rot[3 * r] * shift[0] + rot[3 * r + 1] * shift[1] + rot[3 * r + 2] * shift[2]);
                }
            }
            for (int r = 0; r < 3; r++) {
                t[r] = Periodic.wrap(t[r]);
            }
            out.add(new SymOp(rot, t));
        }
        return out;
    }

    private static final double[] ROT_1 = {1, 0, 0, 0, 1, 0, 0, 0, 1};

    private static double[][] centring(char l) {
        double h = 0.5;
        double o = 1.0 / 3;
        double w = 2.0 / 3;
        return switch (l) {
            case 'P' -> new double[][] {{0, 0, 0}};
            case 'A' -> new double[][] {{0, 0, 0}, {0, h, h}};
            case 'B' -> new double[][] {{0, 0, 0}, {h, 0, h}};
            case 'C' -> new double[][] {{0, 0, 0}, {h, h, 0}};
            case 'I' -> new double[][] {{0, 0, 0}, {h, h, h}};
            case 'R' -> new double[][] {{0, 0, 0}, {w, o, o}, {o, w, w}};
            case 'S' -> new double[][] {{0, 0, 0}, {o, o, w}, {w, w, o}};
            case 'T' -> new double[][] {{0, 0, 0}, {o, w, o}, {w, o, w}};
            case 'F' -> new double[][] {{0, 0, 0}, {0, h, h}, {h, 0, h}, {h, h, 0}};
            default -> null;
        };
    }

    /** Proper rotation matrix (row-major, acting on column vectors of fractional coordinates). */
    static double[] rotation(int n, char axis, char prevAxis) {
        if (n == 1) {
            return ROT_1.clone();
        }
        switch (axis) {
            case 'z':
                return switch (n) {
                    case 2 -> new double[] {-1, 0, 0, 0, -1, 0, 0, 0, 1};
                    case 3 -> new double[] {0, -1, 0, 1, -1, 0, 0, 0, 1};
                    case 4 -> new double[] {0, -1, 0, 1, 0, 0, 0, 0, 1};
                    default -> new double[] {1, -1, 0, 1, 0, 0, 0, 0, 1};
                };
            case 'x':
                return switch (n) {
                    case 2 -> new double[] {1, 0, 0, 0, -1, 0, 0, 0, -1};
                    case 3 -> new double[] {1, 0, 0, 0, 0, -1, 0, 1, -1};
                    case 4 -> new double[] {1, 0, 0, 0, 0, -1, 0, 1, 0};
                    default -> new double[] {1, 0, 0, 0, 1, -1, 0, 1, 0};
                };
            case 'y':
                return switch (n) {
                    case 2 -> new double[] {-1, 0, 0, 0, 1, 0, 0, 0, -1};
                    case 3 -> new double[] {-1, 0, 1, 0, 1, 0, -1, 0, 0};
                    case 4 -> new double[] {0, 0, 1, 0, 1, 0, -1, 0, 0};
                    default -> new double[] {0, 0, 1, 0, 1, 0, -1, 0, 1};
                };
            case '*':
                return n == 3 ? new double[] {0, 0, 1, 1, 0, 0, 0, 1, 0} : null;
            case '\'':
            case '"':
                if (n != 2) {
                    return null;
                }
                boolean plus = axis == '"';
                char p = prevAxis == 0 ? 'z' : prevAxis;
                int s = plus ? 1 : -1;
                return switch (p) {
                    case 'z' -> new double[] {0, s, 0, s, 0, 0, 0, 0, -1};
                    case 'x' -> new double[] {-1, 0, 0, 0, 0, s, 0, s, 0};
                    default -> new double[] {0, 0, s, 0, -1, 0, s, 0, 0};
                };
            default:
                return null;
        }
    }

    private static double[] op(double[] rot, double[] t) {
        double[] g = new double[12];
        System.arraycopy(rot, 0, g, 0, 9);
        for (int k = 0; k < 3; k++) {
            g[9 + k] = Periodic.wrap(t[k]);
        }
        return g;
    }

    private static double[] scale(double[] r, double f) {
        double[] o = new double[9];
        for (int i = 0; i < 9; i++) {
            o[i] = r[i] * f + 0.0; // no negative zeros

        }
        return o;
    }

    /** (R1,t1)(R2,t2) = (R1 R2, R1 t2 + t1), translation wrapped. */
    private static double[] multiply(double[] a, double[] b) {
        double[] g = new double[12];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                g[3 * r + c] = a[3 * r] * b[c] + a[3 * r + 1] * b[3 + c] + a[3 * r + 2] * b[6 + c] + 0.0;
            }
            g[9 + r] = Periodic.wrap(a[3 * r] * b[9] + a[3 * r + 1] * b[10] + a[3 * r + 2] * b[11] + a[9 + r]);
        }
        return g;
    }

    private static boolean same(double[] a, double[] b) {
        for (int i = 0; i < 9; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        for (int k = 9; k < 12; k++) {
            double d = a[k] - b[k];
            if (Math.abs(d - Math.rint(d)) > 1e-6) {
                return false;
            }
        }
        return true;
    }

    private static List<double[]> closure(List<double[]> gens) {
        List<double[]> group = new ArrayList<>();
        group.add(op(ROT_1, new double[3]));
        for (double[] g : gens) {
            add(group, g);
        }
        for (int i = 0; i < group.size(); i++) {
            for (int j = 0; j < group.size(); j++) {
                if (add(group, multiply(group.get(i), group.get(j))) && group.size() > MAX_OPS) {
                    return null;
                }
            }
        }
        return group;
    }

    private static boolean add(List<double[]> group, double[] g) {
        for (double[] h : group) {
            if (same(h, g)) {
                return false;
            }
        }
        group.add(g);
        return true;
    }
}
