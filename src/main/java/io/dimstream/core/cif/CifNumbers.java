package io.dimstream.core.cif;

/** Fast, allocation-free parsing of CIF numbers such as {@code 1.234(5)}, {@code 90.}, {@code -.5}, {@code 1e-3}. */
public final class CifNumbers {
    private CifNumbers() {
    }

    private static final double[] POW10 = new double[23];

    static {
        double p = 1;
        for (int i = 0; i < POW10.length; i++) {
            POW10[i] = p;
            p *= 10;
        }
    }

    /**
     * The numeric value of a CIF number with an optional standard uncertainty in parentheses, or
     * NaN when the text is null, {@code ?}/{@code .} (passed as null by the lexer) or not a number.
     * Never returns an infinite value.
     */
    public static double parse(String s) {
        if (s == null) {
            return Double.NaN;
        }
        int end = s.length();
        int paren = s.indexOf('(');
        if (paren >= 0) {
            if (s.charAt(end - 1) != ')' || paren == 0) {
                return Double.NaN;
            }
            for (int k = paren + 1; k < end - 1; k++) {
                if (!isDigit(s.charAt(k))) {
                    return Double.NaN;
                }
            }
            end = paren;
        }
        if (end == 0 || end > 64) {
            return Double.NaN;
        }
        int i = 0;
        boolean neg = false;
        char c = s.charAt(0);
        if (c == '-' || c == '+') {
            neg = c == '-';
            i++;
        }
        long mant = 0;
        int digits = 0;
        int fracDigits = 0;
        boolean dot = false;
        boolean fast = true;
        for (; i < end; i++) {
            c = s.charAt(i);
            if (isDigit(c)) {
                if (mant == 0 && c == '0') {
                    if (dot) {
                        fracDigits++;
                    }
                    continue;
                }
                if (digits >= 15) {
                    fast = false;
                    break;
                }
                mant = mant * 10 + (c - '0');
                digits++;
                if (dot) {
                    fracDigits++;
                }
            } else if (c == '.' && !dot) {
                dot = true;
            } else {
                fast = false;
                break;
            }
        }
        if (fast) {
            boolean sawDigit = false;
            for (int k = 0; k < end; k++) {
                if (isDigit(s.charAt(k))) {
                    sawDigit = true;
                    break;
                }
            }
            if (!sawDigit) {
                return Double.NaN;
            }
            if (fracDigits < POW10.length) {
                double v = fracDigits == 0 ? mant : mant / POW10[fracDigits];
                return neg ? -v : v;
            }
        }
        return slow(s, end);
    }

    private static double slow(String s, int end) {
        boolean sawDigit = false;
        for (int k = 0; k < end; k++) {
            char c = s.charAt(k);
            if (isDigit(c)) {
                sawDigit = true;
            } else if (c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E') {
                return Double.NaN;
            }
        }
        if (!sawDigit) {
            return Double.NaN;
        }
        try {
            double v = Double.parseDouble(s.substring(0, end));
            return Double.isFinite(v) ? v : Double.NaN;
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
