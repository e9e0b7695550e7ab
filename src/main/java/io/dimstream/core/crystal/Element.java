package io.dimstream.core.crystal;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The chemical elements, in order of atomic number (ordinal + 1 = Z). */
public enum Element {
    H,
    He,
    Li,
    Be,
    B,
    C,
    N,
    O,
    F,
    Ne,
    Na,
    Mg,
    Al,
    Si,
    P,
    S,
    Cl,
    Ar,
    K,
    Ca,
    Sc,
    Ti,
    V,
    Cr,
    Mn,
    Fe,
    Co,
    Ni,
    Cu,
    Zn,
    Ga,
    Ge,
    As,
    Se,
    Br,
    Kr,
    Rb,
    Sr,
    Y,
    Zr,
    Nb,
    Mo,
    Tc,
    Ru,
    Rh,
    Pd,
    Ag,
    Cd,
    In,
    Sn,
    Sb,
    Te,
    I,
    Xe,
    Cs,
    Ba,
    La,
    Ce,
    Pr,
    Nd,
    Pm,
    Sm,
    Eu,
    Gd,
    Tb,
    Dy,
    Ho,
    Er,
    Tm,
    Yb,
    Lu,
    Hf,
    Ta,
    W,
    Re,
    Os,
    Ir,
    Pt,
    Au,
    Hg,
    Tl,
    Pb,
    Bi,
    Po,
    At,
    Rn,
    Fr,
    Ra,
    Ac,
    Th,
    Pa,
    U,
    Np,
    Pu,
    Am,
    Cm,
    Bk,
    Cf,
    Es,
    Fm,
    Md,
    No,
    Lr,
    Rf,
    Db,
    Sg,
    Bh,
    Hs,
    Mt,
    Ds,
    Rg,
    Cn,
    Nh,
    Fl,
    Mc,
    Lv,
    Ts,
    Og;

    private static final Map<String, Element> BY_SYMBOL = new HashMap<>();

    static {
        for (Element e : values()) {
            BY_SYMBOL.put(e.name(), e);
        }
    }

    /** Atomic number Z (1 for H). */
    public int z() {
        return ordinal() + 1;
    }

    public String symbol() {
        return name();
    }

    /** Element with atomic number z. */
    public static Element ofZ(int z) {
        if (z < 1 || z > 118) {
            throw new IllegalArgumentException("no element with Z=" + z);
        }
        return values()[z - 1];
    }

    /** Exact, case-sensitive symbol lookup ("Fe"). */
    public static Optional<Element> bySymbol(String symbol) {
        return Optional.ofNullable(BY_SYMBOL.get(symbol));
    }

    /**
     * Lenient lookup as CIF writers spell symbols: case-insensitive ("FE", "fe"), trailing
     * charge or digits ignored by the caller. Returns empty for anything that is not an element.
     */
    public static Optional<Element> bySymbolIgnoreCase(String symbol) {
        if (symbol == null || symbol.isEmpty() || symbol.length() > 2) {
            return Optional.empty();
        }
        String s = Character.toUpperCase(symbol.charAt(0))
                + (symbol.length() == 2 ? String.valueOf(Character.toLowerCase(symbol.charAt(1))) : "");
        return bySymbol(s);
    }
}
