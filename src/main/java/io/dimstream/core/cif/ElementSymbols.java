package io.dimstream.core.cif;

import io.dimstream.core.crystal.Element;

/**
 * Element (and formal charge) from a CIF type symbol ({@code Fe}, {@code Fe3+}, {@code O2-},
 * {@code Cl-}, {@code FE}, {@code D}) or, failing that, from a site label ({@code Fe1}, {@code O2a},
 * {@code Wat1}).
 */
final class ElementSymbols {
    private ElementSymbols() {
    }

    /** Parsed symbol: element (null when unknown) and oxidation state (NaN when absent). */
    record Parsed(Element element, double oxidation) {
    }

    static final Parsed UNKNOWN = new Parsed(null, Double.NaN);

    /**
     * Parses a symbol. With {@code label=true} trailing digits are a site index, not a charge,
     * unless followed by a sign ({@code O2-}).
     */
    static Parsed parse(String s) {
        if (s == null || s.isEmpty()) {
            return UNKNOWN;
        }
        int n = s.length();
        int letters = 0;
        while (letters < n && letters < 8 && isLetter(s.charAt(letters))) {
            letters++;
        }
        if (letters == 0) {
            return UNKNOWN;
        }
        Element e = null;
        int used = 0;
        // special water/hydrogen labels used by some writers (pymatgen maps these the same way)
        if (letters >= 3 && s.regionMatches(true, 0, "Wat", 0, 3)) {
            e = Element.O;
            used = 3;
        } else if (letters >= 2) {
            char c0 = s.charAt(0);
            char c1 = s.charAt(1);
            boolean lower1 = Character.isLowerCase(c1);
            boolean allUpperPair = Character.isUpperCase(c0) && Character.isUpperCase(c1);
            if (lower1 || (allUpperPair && letters == 2) || Character.isLowerCase(c0)) {
                e = lookup2(c0, c1);
                if (e != null) {
                    used = 2;
                }
            }
        }
        if (e == null) {
            char c0 = s.charAt(0);
            if (c0 == 'D' || c0 == 'T') {
                // deuterium / tritium are hydrogen, unless a real element starts with D/T
                if (letters == 1 || !(Character.isLowerCase(s.charAt(1)) && lookup2(c0, s.charAt(1)) != null)) {
                    e = Element.H;
                    used = 1;
                }
            } else {
                e = Element.bySymbolIgnoreCase(String.valueOf(c0)).orElse(null);
                used = 1;
            }
        }
        if (e == null) {
            return UNKNOWN;
        }
        return new Parsed(e, charge(s, used));
    }

    private static Element lookup2(char c0, char c1) {
        return Element.bySymbolIgnoreCase(new String(new char[] {c0, c1})).orElse(null);
    }

    /** Charge suffix right after the symbol: "3+", "+3", "2-", "-", "+". NaN when absent. */
    private static double charge(String s, int from) {
        int n = s.length();
        int i = from;
        if (i >= n) {
            return Double.NaN;
        }
        char c = s.charAt(i);
        if (c == '+' || c == '-') {
            int j = i + 1;
            int ds = j;
            while (j < n && isDigitOrDot(s.charAt(j))) {
                j++;
            }
            double mag = j > ds ? CifNumbers.parse(s.substring(ds, j)) : 1;
            if (Double.isNaN(mag)) {
                return Double.NaN;
            }
            return c == '-' ? -mag : mag;
        }
        int j = i;
        while (j < n && isDigitOrDot(s.charAt(j))) {
            j++;
        }
        if (j > i && j < n && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
            double mag = CifNumbers.parse(s.substring(i, j));
            if (Double.isNaN(mag)) {
                return Double.NaN;
            }
            return s.charAt(j) == '-' ? -mag : mag;
        }
        return Double.NaN;
    }

    private static boolean isLetter(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }

    private static boolean isDigitOrDot(char c) {
        return (c >= '0' && c <= '9') || c == '.';
    }
}
