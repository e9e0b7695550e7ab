package io.dimstream.core.crystal;

import java.util.Arrays;

/**
 * A 3D lattice. The matrix rows are the lattice vectors a, b, c in Angstrom; a fractional
 * coordinate f maps to the Cartesian point f·M (row vector times matrix).
 *
 * <p>Immutable. All maths is exact double arithmetic on the 3x3 matrix; the minimum-image distance
 * is exact for arbitrarily skewed cells (see {@link #minimumImageDistance}).
 */
public final class Lattice {

    private final double[][] m;
    private final double[][] inv;
    private final double volume;
    /** Norms of the reciprocal rows (columns of inv), used to bound image searches. */
    private final double[] recipNorms;

    public Lattice(double[][] matrix) {
        if (matrix.length != 3) {
            throw new IllegalArgumentException("lattice needs 3 vectors, got " + matrix.length);
        }
        this.m = new double[3][3];
        for (int i = 0; i < 3; i++) {
            if (matrix[i].length != 3) {
                throw new IllegalArgumentException("lattice vector " + i + " needs 3 components");
            }
            for (int j = 0; j < 3; j++) {
                if (!Double.isFinite(matrix[i][j])) {
                    throw new IllegalArgumentException("lattice has a non-finite component");
                }
                m[i][j] = matrix[i][j];
            }
        }
        this.volume = Mat3.det(m);
        if (!(Math.abs(volume) > 1e-6)) {
            throw new IllegalArgumentException("degenerate lattice (volume " + volume + " A^3)");
        }
        this.inv = Mat3.inverse(m);
        this.recipNorms = new double[3];
        for (int k = 0; k < 3; k++) {
            recipNorms[k] = Math.sqrt(inv[0][k] * inv[0][k] + inv[1][k] * inv[1][k] + inv[2][k] * inv[2][k]);
        }
    }

    /**
     * Lattice from cell parameters, in the standard orientation used by CIF readers: a along x, b in
     * the xy plane.
     */
    public static Lattice fromParameters(double a, double b, double c, double alphaDeg, double betaDeg, double gammaDeg) {
        if (!(a > 0 && b > 0 && c > 0)) {
            throw new IllegalArgumentException("cell lengths must be positive: " + a + ", " + b + ", " + c);
        }
        double al = Math.toRadians(alphaDeg);
        double be = Math.toRadians(betaDeg);
        double ga = Math.toRadians(gammaDeg);
        double cosA = cosExact(alphaDeg, al);
        double cosB = cosExact(betaDeg, be);
        double cosG = cosExact(gammaDeg, ga);
        double sinG = sinExact(gammaDeg, ga);
        double cx = c * cosB;
        double cy = c * (cosA - cosB * cosG) / sinG;
        double cz2 = c * c - cx * cx - cy * cy;
        if (!(cz2 > 1e-12)) {
            throw new IllegalArgumentException(String.format(
                    "cell angles %.4f, %.4f, %.4f do not form a valid cell", alphaDeg, betaDeg, gammaDeg));
        }
        return new Lattice(new double[][] {
            {a, 0, 0},
            {b * cosG, b * sinG, 0},
            {cx, cy, Math.sqrt(cz2)}
        });
    }

    private static double cosExact(double deg, double rad) {
        if (deg == 90.0) {
            return 0.0;
        }
        if (deg == 60.0) {
            return 0.5;
        }
        if (deg == 120.0) {
            return -0.5;
        }
        return Math.cos(rad);
    }

    private static double sinExact(double deg, double rad) {
        return deg == 90.0 ? 1.0 : Math.sin(rad);
    }

    /** A copy of the 3x3 matrix (rows are vectors). */
    public double[][] matrix() {
        return Mat3.copy(m);
    }

    /** Component j of lattice vector i, without copying. */
    public double get(int i, int j) {
        return m[i][j];
    }

    /** The inverse matrix: cart·inverse = frac. */
    public double[][] inverse() {
        return Mat3.copy(inv);
    }

    /** Cell volume in A^3 (always positive). */
    public double volume() {
        return Math.abs(volume);
    }

    /** Signed determinant (negative for a left-handed basis). */
    public double determinant() {
        return volume;
    }

    /** Reciprocal lattice without the 2π factor: rows b_i with a_i·b_j = δ_ij. */
    public Lattice reciprocal() {
        return new Lattice(Mat3.transpose(inv));
    }

    /** Lengths |a|, |b|, |c|. */
    public double[] lengths() {
        double[] l = new double[3];
        for (int i = 0; i < 3; i++) {
            l[i] = Math.sqrt(Mat3.dot(m[i], m[i]));
        }
        return l;
    }

    /** Angles alpha (b,c), beta (a,c), gamma (a,b) in degrees. */
    public double[] angles() {
        double[] l = lengths();
        return new double[] {
            Math.toDegrees(Math.acos(clamp(Mat3.dot(m[1], m[2]) / (l[1] * l[2])))),
            Math.toDegrees(Math.acos(clamp(Mat3.dot(m[0], m[2]) / (l[0] * l[2])))),
            Math.toDegrees(Math.acos(clamp(Mat3.dot(m[0], m[1]) / (l[0] * l[1]))))
        };
    }

    private static double clamp(double c) {
        return Math.max(-1, Math.min(1, c));
    }

    public double[] toCartesian(double[] frac) {
        return Mat3.rowTimes(frac, m);
    }

    public double[] toFractional(double[] cart) {
        return Mat3.rowTimes(cart, inv);
    }

    /**
     * Exact minimum-image distance between two fractional points under this lattice's periodicity.
     *
     * <p>The difference is first wrapped to [-0.5, 0.5) per axis, giving a candidate distance r0. Any
     * shorter image d + n·M has |n_k| ≤ |d_k| + r0·|b*_k| (b*_k the reciprocal row), so searching that
     * box is exhaustive however skewed the cell is; for near-orthogonal cells the box is 3x3x3.
     */
    public double minimumImageDistance(double[] fracA, double[] fracB) {
        double d0 = fracB[0] - fracA[0];
        double d1 = fracB[1] - fracA[1];
        double d2 = fracB[2] - fracA[2];
        d0 -= Math.rint(d0);
        d1 -= Math.rint(d1);
        d2 -= Math.rint(d2);
        return Math.sqrt(minimumImageDistanceSquaredWrapped(d0, d1, d2));
    }

    /** Squared minimum-image distance for a fractional difference already wrapped to [-0.5, 0.5]. */
    public double minimumImageDistanceSquaredWrapped(double d0, double d1, double d2) {
        double x = d0 * m[0][0] + d1 * m[1][0] + d2 * m[2][0];
        double y = d0 * m[0][1] + d1 * m[1][1] + d2 * m[2][1];
        double z = d0 * m[0][2] + d1 * m[1][2] + d2 * m[2][2];
        double best = x * x + y * y + z * z;
        double r0 = Math.sqrt(best);
        int n0 = (int) Math.floor(0.5 + r0 * recipNorms[0] + 1e-9);
        int n1 = (int) Math.floor(0.5 + r0 * recipNorms[1] + 1e-9);
        int n2 = (int) Math.floor(0.5 + r0 * recipNorms[2] + 1e-9);
        for (int i = -n0; i <= n0; i++) {
            for (int j = -n1; j <= n1; j++) {
                for (int k = -n2; k <= n2; k++) {
                    if (i == 0 && j == 0 && k == 0) {
                        continue;
                    }
                    double xx = x + i * m[0][0] + j * m[1][0] + k * m[2][0];
                    double yy = y + i * m[0][1] + j * m[1][1] + k * m[2][1];
                    double zz = z + i * m[0][2] + j * m[1][2] + k * m[2][2];
                    double dd = xx * xx + yy * yy + zz * zz;
                    if (dd < best) {
                        best = dd;
                    }
                }
            }
        }
        return best;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Lattice other && Arrays.deepEquals(m, other.m);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(m);
    }

    @Override
    public String toString() {
        return "Lattice" + Arrays.deepToString(m);
    }
}
