package io.dimstream.core.cif;

import java.util.Arrays;

/**
 * A symmetry operation x' = R·x + t on fractional coordinates, parsed from the CIF "xyz" form
 * ({@code -x+1/2, y, z}, {@code 1/2+y}, {@code x-y}, {@code +x,-y,0.5+z}, {@code 2x}, upper case too).
 *
 * @param rot   row-major 3x3 rotation part (integers in practice)
 * @param trans translation part
 */
public record SymOp(double[] rot, double[] trans) {

    public SymOp {
        if (rot.length != 9 || trans.length != 3) {
            throw new IllegalArgumentException("a symmetry operation needs 9 rotation and 3 translation components");
        }
        rot = rot.clone();
        trans = trans.clone();
    }

    /** A copy of the row-major rotation part. */
    @Override
    public double[] rot() {
        return rot.clone();
    }

    /** A copy of the translation part. */
    @Override
    public double[] trans() {
        return trans.clone();
    }

    public static final SymOp IDENTITY = new SymOp(new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, new double[3]);

    /** Applies the operation to (x, y, z), writing into out (length ≥ 3). */
    public void apply(double x, double y, double z, double[] out) {
        out[0] = rot[0] * x + rot[1] * y + rot[2] * z + trans[0];
        out[1] = rot[3] * x + rot[4] * y + rot[5] * z + trans[1];
        out[2] = rot[6] * x + rot[7] * y + rot[8] * z + trans[2];
    }

    public boolean isIdentity() {
        return Arrays.equals(rot, IDENTITY.rot)
                && Math.abs(trans[0] - Math.rint(trans[0])) < 1e-9
                && Math.abs(trans[1] - Math.rint(trans[1])) < 1e-9
                && Math.abs(trans[2] - Math.rint(trans[2])) < 1e-9;
    }

    /**
     * Parses an xyz triplet. Returns null (never throws) when the text is not a valid operation, so
     * the caller can report it with its block and line.
     */
    public static SymOp parse(String text) {
        if (text == null || text.length() > 200) {
            return null;
        }
        String[] parts = splitParts(text);
        if (parts == null) {
            return null;
        }
        double[] rot = new double[9];
        double[] trans = new double[3];
        for (int row = 0; row < 3; row++) {
            if (!parseComponent(parts[row], rot, row * 3, trans, row)) {
                return null;
            }
        }
        double det = rot[0] * (rot[4] * rot[8] - rot[5] * rot[7])
                - rot[1] * (rot[3] * rot[8] - rot[5] * rot[6])
                + rot[2] * (rot[3] * rot[7] - rot[4] * rot[6]);
        if (Math.abs(Math.abs(det) - 1) > 1e-6) {
            return null;
        }
        return new SymOp(rot, trans);
    }

    private static String[] splitParts(String text) {
        String[] parts = new String[3];
        int n = 0;
        int start = 0;
        for (int i = 0; i <= text.length(); i++) {
            if (i == text.length() || text.charAt(i) == ',') {
                if (n == 3) {
                    return null;
                }
                parts[n++] = text.substring(start, i);
                start = i + 1;
            }
        }
        if (n == 3) {
            return parts;
        }
        if (n == 1) {
            // some writers separate with blanks only: "x y z" (only valid when each part is blank-free)
            String[] ws = text.trim().split("\\s+");
            return ws.length == 3 ? ws : null;
        }
        return null;
    }

    private static boolean parseComponent(String s, double[] rot, int r0, double[] trans, int row) {
        int i = 0;
        int n = s.length();
        boolean any = false;
        while (true) {
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i >= n) {
                return any;
            }
            double sign = 1;
            char c = s.charAt(i);
            if (c == '+' || c == '-') {
                sign = c == '-' ? -1 : 1;
                i++;
                while (i < n && Character.isWhitespace(s.charAt(i))) {
                    i++;
                }
            } else if (any) {
                return false; // two terms without an operator between them
            }
            // optional number (decimal or fraction)
            int numStart = i;
            while (i < n && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            double value = Double.NaN;
            if (i > numStart) {
                value = parseDecimal(s, numStart, i);
                if (Double.isNaN(value)) {
                    return false;
                }
                if (i < n && s.charAt(i) == '/') {
                    int denStart = ++i;
                    while (i < n && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                        i++;
                    }
                    double den = i > denStart ? parseDecimal(s, denStart, i) : Double.NaN;
                    if (!(den > 0)) {
                        return false;
                    }
                    value /= den;
                }
                while (i < n && Character.isWhitespace(s.charAt(i))) {
                    i++;
                }
                if (i < n && s.charAt(i) == '*') {
                    i++;
                    while (i < n && Character.isWhitespace(s.charAt(i))) {
                        i++;
                    }
                }
            }
            int axis = -1;
            if (i < n) {
                char v = Character.toLowerCase(s.charAt(i));
                if (v == 'x' || v == 'y' || v == 'z') {
                    axis = v - 'x';
                    i++;
                }
            }
            if (axis >= 0) {
                rot[r0 + axis] += sign * (Double.isNaN(value) ? 1 : value);
            } else if (!Double.isNaN(value)) {
                trans[row] += sign * value;
            } else {
                return false;
            }
            any = true;
        }
    }

    private static double parseDecimal(String s, int from, int to) {
        try {
            return Double.parseDouble(s.substring(from, to));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SymOp op && Arrays.equals(rot, op.rot) && Arrays.equals(trans, op.trans);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(rot) + Arrays.hashCode(trans);
    }

    @Override
    public String toString() {
        return "SymOp" + Arrays.toString(rot) + "+" + Arrays.toString(trans);
    }
}
