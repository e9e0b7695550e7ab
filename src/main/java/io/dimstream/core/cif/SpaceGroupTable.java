package io.dimstream.core.cif;

import io.dimstream.core.crystal.Periodic;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Symmetry operations of a space group named only by its Hermann–Mauguin symbol (or IT number), for
 * CIFs without an operations loop or a Hall symbol.
 *
 * <p>Data: the CCP4 {@code symop.lib} table as shipped in BioJava's {@code biojava-structure} jar
 * ({@code org/biojava/nbio/structure/xtal/spacegroups.xml}, LGPL-2.1; read as data, no BioJava code
 * runs). It holds the 230 groups in their standard settings plus a few alternative ones (unique axis c,
 * rhombohedral axes). Only what that table decides without guessing is answered:
 * <ul>
 *   <li>a symbol of a standard setting, written with or without spaces ({@code P 21/c},
 *       {@code P 1 21/c 1}, {@code Pnma}, {@code F m -3 m}); the 2002 symbols with {@code e}
 *       ({@code Cmce}, {@code Cmme}, {@code Ccce}, {@code Aem2}, {@code Aea2}) as their old names;</li>
 *   <li>rhombohedral groups: hexagonal or rhombohedral axes by the {@code :H}/{@code :R} suffix, or by
 *       the cell when there is none;</li>
 *   <li>the 24 groups with two origin choices only with an explicit {@code :1} (the table's origin) or
 *       {@code :2} (generated from its Hall symbol, {@link #ORIGIN_2_HALL}) — otherwise the symbol is
 *       ambiguous and refused;</li>
 *   <li>every answer's rotations must preserve the cell's metric (a wrong setting is refused, not
 *       used).</li>
 * </ul>
 * Non-standard settings of monoclinic and orthorhombic groups ({@code P 21/n}, {@code P b n m},
 * {@code A 1 2/n 1}, ...) are found by {@link SettingSearch}: the standard operations in each International
 * Tables setting, kept when exactly one fits the symbol. Anything else returns a
 * {@link Lookup#refusal()} saying why, and the parser keeps asking for the operations loop.
 */
public final class SpaceGroupTable {

    static final String RESOURCE = "/org/biojava/nbio/structure/xtal/spacegroups.xml";

    /** Space groups with two origin choices in International Tables A. */
    static final Set<Integer> TWO_ORIGINS = Set.of(48, 50, 59, 68, 70, 85, 86, 88, 125, 126, 129, 130, 133, 134,
            137, 138, 141, 142, 201, 203, 222, 224, 227, 228);

    /**
     * Hall symbols of origin choice 2 (origin at a centre of symmetry) of the {@link #TWO_ORIGINS} groups,
     * International Tables A / Hall (1981) notation; the table itself holds origin choice 1.
     */
    static final Map<Integer, String> ORIGIN_2_HALL = Map.ofEntries(
            Map.entry(48, "-P 2ab 2bc"), Map.entry(50, "-P 2ab 2b"), Map.entry(59, "-P 2ab 2a"),
            Map.entry(68, "-C 2b 2bc"), Map.entry(70, "-F 2uv 2vw"), Map.entry(85, "-P 4a"),
            Map.entry(86, "-P 4bc"), Map.entry(88, "-I 4ad"), Map.entry(125, "-P 4a 2b"),
            Map.entry(126, "-P 4a 2bc"), Map.entry(129, "-P 4a 2a"), Map.entry(130, "-P 4a 2ac"),
            Map.entry(133, "-P 4ac 2b"), Map.entry(134, "-P 4ac 2bc"), Map.entry(137, "-P 4ac 2a"),
            Map.entry(138, "-P 4ac 2ac"), Map.entry(141, "-I 4bd 2"), Map.entry(142, "-I 4bd 2c"),
            Map.entry(201, "-P 2ab 2bc 3"), Map.entry(203, "-F 2uv 2vw 3"), Map.entry(222, "-P 4a 2bc 3"),
            Map.entry(224, "-P 4bc 2bc 3"), Map.entry(227, "-F 4vw 2vw 3"), Map.entry(228, "-F 4cvw 2vw 3"));

    private static final Map<String, String> NEW_E_SYMBOLS = Map.of(
            "cmce", "cmca", "cmme", "cmma", "ccce", "ccca", "aem2", "abm2", "aea2", "aba2");

    /**
     * Setting suffixes: {@code :1}/{@code :2} (origin choice), {@code :H}/{@code :R} (rhombohedral axes),
     * and the ICSD spellings without a colon — {@code S}/{@code Z} for origin choice 1/2, {@code H}/{@code R}.
     */
    private static final Pattern SUFFIX = Pattern.compile("^(.*):(1|2|h|r|s|z)$|^(.*?)(h|r|s|z)$");

    /** One table entry. {@code number} is the IT number (1–230). */
    public record Entry(int key, int number, String symbol, List<SymOp> ops) {
        /** 2 when the inversion −x,−y,−z is an operation (origin at a centre of symmetry), else 1. */
        int origin() {
            for (SymOp op : ops) {
                double[] r = op.rot();
                double[] t = op.trans();
                if (r[0] == -1 && r[4] == -1 && r[8] == -1 && r[1] == 0 && r[2] == 0 && r[3] == 0 && r[5] == 0
                        && r[6] == 0 && r[7] == 0 && Periodic.wrap(t[0]) == 0 && Periodic.wrap(t[1]) == 0
                        && Periodic.wrap(t[2]) == 0) {
                    return 2;
                }
            }
            return 1;
        }
    }

    /** The operations for a symbol, or why there are none. */
    public record Lookup(List<SymOp> ops, Entry entry, String refusal) {
        static Lookup refuse(String why) {
            return new Lookup(null, null, why);
        }

        public boolean found() {
            return ops != null;
        }
    }

    private static final class Holder {
        static final SpaceGroupTable TABLE = load();
    }

    private final Map<String, Entry> bySymbol;
    private final Map<Integer, Entry> standardByNumber;
    private final Map<Integer, Entry> rhombohedralByNumber;
    /** Non-standard-setting searches by normalized symbol and IT number (the cell is checked per call). */
    private final Map<String, Lookup> settings = new java.util.concurrent.ConcurrentHashMap<>();

    private SpaceGroupTable(List<Entry> entries) {
        Map<String, Entry> sym = new HashMap<>();
        Map<Integer, Entry> std = new HashMap<>();
        Map<Integer, Entry> rho = new HashMap<>();
        Pattern monoB = Pattern.compile("^([PCIAB]) 1 (\\S+) 1$");
        for (Entry entry : entries) {
            Entry e = entry;
            if (e.symbol().contains("'")) { // No. 222 is spelled "P 4/n -3 2/n' P n -3 n" (full' short)
                e = new Entry(e.key(), e.number(), e.symbol().substring(e.symbol().lastIndexOf('\'') + 1).trim(),
                        e.ops());
            }
            if (e.symbol().contains("(") || e.symbol().contains(")")) {
                continue; // the table's few non-IT variants
            }
            sym.putIfAbsent(normalize(e.symbol()), e);
            if (e.key() == e.number()) {
                std.put(e.number(), e);
                Matcher m = monoB.matcher(e.symbol());
                if (m.matches()) {
                    sym.putIfAbsent(normalize(m.group(1) + " " + m.group(2)), e); // short symbol: unique axis b
                }
            } else if (e.symbol().startsWith("R")) {
                rho.put(e.number(), e);
            }
        }
        this.bySymbol = Collections.unmodifiableMap(sym);
        this.standardByNumber = Collections.unmodifiableMap(std);
        this.rhombohedralByNumber = Collections.unmodifiableMap(rho);
    }

    /** The shared table, loaded on first use. */
    public static SpaceGroupTable get() {
        return Holder.TABLE;
    }

    /** Standard-setting entries by IT number (for tests). */
    Map<Integer, Entry> standard() {
        return standardByNumber;
    }

    /**
     * Operations for a Hermann–Mauguin symbol as written in a CIF, in the given cell.
     *
     * @param hm       the symbol (with optional {@code :1}, {@code :2}, {@code :H}, {@code :R})
     * @param itNumber the block's IT number, or 0 when it has none (a mismatch is refused)
     * @param cell     a, b, c, α, β, γ (Å, degrees)
     */
    public Lookup byHermannMauguin(String hm, int itNumber, double[] cell) {
        String n = normalize(hm);
        String suffix = "";
        Entry e = bySymbol.get(n);
        if (e == null) {
            Matcher m = SUFFIX.matcher(n);
            if (m.matches()) {
                String base = m.group(1) != null ? m.group(1) : m.group(3);
                String suf = m.group(1) != null ? m.group(2) : m.group(4);
                if (!base.isEmpty()
                        && (bySymbol.containsKey(base) || base.startsWith("r") || NEW_E_SYMBOLS.containsKey(base))) {
                    n = base;
                    suffix = suf.equals("s") ? "1" : suf.equals("z") ? "2" : suf;
                }
            }
            n = NEW_E_SYMBOLS.getOrDefault(n, n);
            e = bySymbol.get(n);
        }
        if (n.startsWith("r") || n.startsWith("h")) {
            return rhombohedral(hm, n.substring(1), suffix, itNumber, cell);
        }
        if (e == null) {
            StringBuilder lattice = new StringBuilder();
            List<SettingSearch.Token> tokens = SettingSearch.parse(hm.trim(), lattice);
            if (tokens == null) {
                return Lookup.refuse("'" + hm + "' is not a standard-setting Hermann-Mauguin symbol known here");
            }
            String cacheKey = n + "|" + itNumber;
            Lookup found = settings.get(cacheKey);
            if (found == null) {
                found = SettingSearch.find(hm, lattice.toString(), tokens, standardByNumber.values(), itNumber);
                if (settings.size() < 1024) {
                    settings.put(cacheKey, found);
                }
            }
            return found.found() ? checked(hm, found.entry(), found.ops(), itNumber, cell) : found;
        }
        if (TWO_ORIGINS.contains(e.number())) {
            if (suffix.isEmpty()) {
                return Lookup.refuse("space group '" + hm + "' (No. " + e.number()
                        + ") has two origin choices and the symbol names neither (':1' or ':2')");
            }
            if (suffix.equals("2") && e.origin() == 1) {
                List<SymOp> ops = HallSymbol.generate(ORIGIN_2_HALL.get(e.number()));
                return checked(hm, e, ops, itNumber, cell);
            }
            if (!suffix.equals(String.valueOf(e.origin()))) {
                return Lookup.refuse("space group '" + hm + "' origin choice " + suffix
                        + " is not in the table (it has origin choice " + e.origin() + " only)");
            }
        } else if (!suffix.isEmpty()) {
            return Lookup.refuse("'" + hm + "': suffix ':" + suffix + "' does not apply to space group No. "
                    + e.number());
        }
        return checked(hm, e, itNumber, cell);
    }

    /** Operations for an IT number alone, where the number fixes the setting (see the class notes). */
    public Lookup byNumber(int number, double[] cell) {
        if (number < 1 || number > 230) {
            return Lookup.refuse("IT number " + number + " is not between 1 and 230");
        }
        if (number >= 3 && number <= 74) {
            return Lookup.refuse("IT number " + number + " alone does not fix the setting of a monoclinic or "
                    + "orthorhombic group");
        }
        if (TWO_ORIGINS.contains(number)) {
            return Lookup.refuse("IT number " + number + " has two origin choices");
        }
        Entry e = standardByNumber.get(number);
        if (e.symbol().startsWith("H")) {
            return rhombohedral("No. " + number, normalize(e.symbol()).substring(1), "", number, cell);
        }
        return checked("No. " + number, e, number, cell);
    }

    private Lookup rhombohedral(String hm, String rest, String suffix, int itNumber, double[] cell) {
        Entry hex = bySymbol.get("h" + rest);
        Entry rho = hex == null ? null : rhombohedralByNumber.get(hex.number());
        if (hex == null || rho == null) {
            return Lookup.refuse("'" + hm + "' is not a rhombohedral space group known here");
        }
        boolean hexAxes = Math.abs(cell[0] - cell[1]) < 1e-3 * cell[0] && near(cell[3], 90) && near(cell[4], 90)
                && near(cell[5], 120);
        boolean rhoAxes = Math.abs(cell[0] - cell[1]) < 1e-3 * cell[0] && Math.abs(cell[0] - cell[2]) < 1e-3 * cell[0]
                && near(cell[3], cell[4]) && near(cell[3], cell[5]);
        String axes = suffix.equals("h") ? "h" : suffix.equals("r") ? "r" : hexAxes ? "h" : rhoAxes ? "r" : "";
        if (axes.isEmpty()) {
            return Lookup.refuse("rhombohedral space group '" + hm + "': the cell is neither hexagonal nor "
                    + "rhombohedral axes");
        }
        if (suffix.equals("1") || suffix.equals("2")) {
            return Lookup.refuse("'" + hm + "': origin suffix does not apply to a rhombohedral group");
        }
        return checked(hm, axes.equals("h") ? hex : rho, itNumber, cell);
    }

    private static Lookup checked(String hm, Entry e, int itNumber, double[] cell) {
        return checked(hm, e, e.ops(), itNumber, cell);
    }

    private static Lookup checked(String hm, Entry e, List<SymOp> ops, int itNumber, double[] cell) {
        if (itNumber > 0 && itNumber != e.number()) {
            return Lookup.refuse("'" + hm + "' is space group No. " + e.number() + " but the block's IT number is "
                    + itNumber);
        }
        String bad = metricViolation(ops, cell);
        if (bad != null) {
            return Lookup.refuse("the operations of '" + hm + "' (No. " + e.number() + ", setting " + e.symbol()
                    + ") do not fit the cell: " + bad);
        }
        return new Lookup(ops, e, null);
    }

    /** Null when every rotation R keeps the metric G (RᵀGR = G within 0.5 %), else the first offender. */
    static String metricViolation(List<SymOp> ops, double[] cell) {
        double[][] g = metric(cell);
        double scale = Math.max(cell[0], Math.max(cell[1], cell[2]));
        scale *= scale;
        for (SymOp op : ops) {
            double[] r = op.rot();
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    double v = 0;
                    for (int k = 0; k < 3; k++) {
                        for (int l = 0; l < 3; l++) {
                            v += r[3 * k + i] * g[k][l] * r[3 * l + j];
                        }
                    }
                    if (Math.abs(v - g[i][j]) > 5e-3 * scale) {
                        return "operation " + op + " changes the metric";
                    }
                }
            }
        }
        return null;
    }

    private static double[][] metric(double[] c) {
        double ca = Math.cos(Math.toRadians(c[3]));
        double cb = Math.cos(Math.toRadians(c[4]));
        double cg = Math.cos(Math.toRadians(c[5]));
        return new double[][] {
            {c[0] * c[0], c[0] * c[1] * cg, c[0] * c[2] * cb},
            {c[0] * c[1] * cg, c[1] * c[1], c[1] * c[2] * ca},
            {c[0] * c[2] * cb, c[1] * c[2] * ca, c[2] * c[2]}};
    }

    private static boolean near(double a, double b) {
        return Math.abs(a - b) < 0.05;
    }

    /** Lower case, no spaces or underscores; {@code "P 1 21/c 1"} → {@code "p121/c1"}. */
    static String normalize(String symbol) {
        StringBuilder sb = new StringBuilder(symbol.length());
        for (int i = 0; i < symbol.length(); i++) {
            char ch = symbol.charAt(i);
            if (!Character.isWhitespace(ch) && ch != '_') {
                sb.append(Character.toLowerCase(ch));
            }
        }
        return sb.toString();
    }

    private static SpaceGroupTable load() {
        try (InputStream in = SpaceGroupTable.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("space-group table " + RESOURCE
                        + " not on the classpath (dependency org.biojava:biojava-structure)");
            }
            XMLInputFactory f = XMLInputFactory.newFactory();
            f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
            f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
            XMLStreamReader r = f.createXMLStreamReader(in, "UTF-8");
            List<Entry> entries = new ArrayList<>();
            Integer key = null;
            String symbol = null;
            List<SymOp> ops = new ArrayList<>();
            boolean inOps = false;
            String element = null;
            StringBuilder text = new StringBuilder();
            while (r.hasNext()) {
                int ev = r.next();
                if (ev == XMLStreamConstants.START_ELEMENT) {
                    element = r.getLocalName();
                    text.setLength(0);
                    if (element.equals("transfAlgebraic")) {
                        inOps = true;
                    }
                } else if (ev == XMLStreamConstants.CHARACTERS) {
                    text.append(r.getText());
                } else if (ev == XMLStreamConstants.END_ELEMENT) {
                    String name = r.getLocalName();
                    String t = text.toString().trim();
                    switch (name) {
                        case "key" -> key = Integer.valueOf(t);
                        case "shortSymbol" -> symbol = t;
                        case "item" -> {
                            if (inOps) {
                                SymOp op = SymOp.parse(t);
                                if (op == null) {
                                    throw new IllegalStateException("space-group table: bad operation '" + t + "'");
                                }
                                ops.add(op);
                            }
                        }
                        case "transfAlgebraic" -> inOps = false;
                        case "SpaceGroup" -> {
                            if (key != null && symbol != null && !ops.isEmpty()) {
                                entries.add(new Entry(key, key % 1000, symbol, List.copyOf(ops)));
                            }
                            key = null;
                            symbol = null;
                            ops.clear();
                        }
                        default -> { }
                    }
                    text.setLength(0);
                }
            }
            return new SpaceGroupTable(entries);
        } catch (java.io.IOException | XMLStreamException e) {
            throw new IllegalStateException("cannot read space-group table " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "SpaceGroupTable(" + standardByNumber.size() + " standard settings, " + bySymbol.size() + " symbols)";
    }
}
