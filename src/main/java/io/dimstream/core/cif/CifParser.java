package io.dimstream.core.cif;

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
 * CIF 1.1 reader for real-world crystal structure files: data blocks, loops, quoted and semicolon
 * text fields, comments, {@code ?}/{@code .}, numbers with standard uncertainties, cell parameters,
 * symmetry operations in any xyz form, atom sites with type symbols or labels and occupancies.
 *
 * <p>The asymmetric unit is expanded to the full cell: coordinates close to multiples of 1/6 or
 * 1/12 are snapped first, images are wrapped into [0,1) and merged when closer than
 * {@link #mergeTolerance()} Å under periodic boundaries; sites of different labels at the same
 * position become one disordered site (occupancies summed per species). Dummy atoms
 * ({@code _atom_site_calc_flag dum}) and zero-occupancy rows are skipped.
 *
 * <p>Without an operations loop, the operations are generated from a Hall symbol when the block
 * has one ({@link HallSymbol}), else taken from the space-group table for a Hermann–Mauguin symbol
 * or IT number that fixes its setting ({@link SpaceGroupTable}); any other block with a space group
 * but no operations (non-standard setting, origin choice not stated) is rejected
 * ({@code cif.no_symops}, saying why and naming the missing loop).
 *
 * <p>Every failure is a {@link CifException} with an error type, block, line and reason; input
 * size is capped ({@link #MAX_TEXT_CHARS}, {@link #MAX_VALUES}, {@link #MAX_SITES}), so hostile
 * input cannot exhaust memory or time. Instances are immutable and thread-safe.
 */
public final class CifParser {

    /** Largest accepted text, in chars. */
    public static final int MAX_TEXT_CHARS = 8 << 20;
    /** Most values (all tokens after tags) in one text. */
    public static final int MAX_VALUES = 1_000_000;
    /** Most sites in one expanded cell. */
    public static final int MAX_SITES = 5_000;
    /** Most sites in all blocks of one text. */
    public static final int MAX_TOTAL_SITES = 20_000;
    /** Most symmetry operations in one block. */
    public static final int MAX_SYMOPS = 1_536;
    /** Most pairwise site comparisons while expanding one text (bounds time on hostile input). */
    public static final long MAX_COMPARISONS = 200_000_000L;

    public static final double DEFAULT_MERGE_TOLERANCE = 0.01;
    public static final double DEFAULT_OCCUPANCY_TOLERANCE = 0.05;

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

    private final double mergeTolerance;
    private final double occupancyTolerance;

    public CifParser() {
        this(DEFAULT_MERGE_TOLERANCE, DEFAULT_OCCUPANCY_TOLERANCE);
    }

    /**
     * @param mergeTolerance     Å: images/sites closer than this are the same site
     * @param occupancyTolerance a site's occupancy sum may exceed 1 by this much (it is then scaled to 1)
     */
    public CifParser(double mergeTolerance, double occupancyTolerance) {
        this.mergeTolerance = mergeTolerance;
        this.occupancyTolerance = occupancyTolerance;
    }

    public double mergeTolerance() {
        return mergeTolerance;
    }

    public double occupancyTolerance() {
        return occupancyTolerance;
    }

    /**
     * The outcome for one data block with atom sites: a structure (id = block name) or the error
     * that block has.
     */
    public record BlockResult(String block, Structure structure, CifException error) {
        public boolean ok() {
            return structure != null;
        }
    }

    /**
     * Parses every data block that has atom sites into one full-cell structure (id = block name).
     * Blocks without any {@code _atom_site_fract_*} data are skipped.
     *
     * @throws CifException on any bad input: the first failing block's error, or an error of the
     *                      whole text (syntax, size, no block with atoms)
     */
    public List<Structure> parse(String text, String origin) throws CifException {
        List<BlockResult> results = parseEach(text, origin);
        List<Structure> out = new ArrayList<>(results.size());
        for (BlockResult r : results) {
            if (r.error() != null) {
                throw r.error();
            }
            out.add(r.structure());
        }
        return out;
    }

    /**
     * Like {@link #parse} but a bad block does not hide the good ones: one result per data block
     * that has atom sites, in file order.
     *
     * @throws CifException only for errors of the whole text (syntax, size caps, no block with atoms)
     */
    public List<BlockResult> parseEach(String text, String origin) throws CifException {
        if (text == null) {
            throw new CifException(CifException.NO_DATA_BLOCK, origin, "", 0, "empty input");
        }
        if (text.length() > MAX_TEXT_CHARS) {
            throw new CifException(CifException.TOO_LARGE, origin, "", 0,
                    "text has " + text.length() + " chars, more than the limit of " + MAX_TEXT_CHARS);
        }
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
            text = text.substring(1); // byte-order mark
        }
        if (text.indexOf('\n') < 0 && text.indexOf('\r') >= 0) {
            text = text.replace('\r', '\n'); // classic Mac line ends
        }
        List<Block> blocks = new Reader(text, origin).readBlocks();
        if (blocks.isEmpty()) {
            throw new CifException(CifException.NO_DATA_BLOCK, origin, "", 0, "no data_ block found");
        }
        List<BlockResult> out = new ArrayList<>(blocks.size());
        int total = 0;
        for (Block b : blocks) {
            Structure s;
            try {
                s = new Builder(b, origin).build();
            } catch (CifException e) {
                if (e.code().equals(CifException.TOO_LARGE)) {
                    throw e;
                }
                out.add(new BlockResult(b.name, null, e));
                continue;
            }
            if (s != null) {
                total += s.size();
                if (total > MAX_TOTAL_SITES) {
                    throw new CifException(CifException.TOO_LARGE, origin, b.name, b.line,
                            "more than " + MAX_TOTAL_SITES + " sites in all blocks");
                }
                out.add(new BlockResult(b.name, s, null));
            }
        }
        if (out.isEmpty()) {
            Block b = blocks.get(0);
            throw new CifException(CifException.NO_ATOMS, origin, blocks.size() == 1 ? b.name : "",
                    blocks.size() == 1 ? b.line : 0,
                    "no atom sites (_atom_site_fract_x/y/z or _atom_site_Cartn_x/y/z) in " + (blocks.size() == 1 ? "the data block" : "any of " + blocks.size() + " data blocks"));
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------
    // syntax: blocks, items and loops

    /** A column of values: a loop column or a single item (one row). */
    static final class Column {
        final Loop loop;
        final String single;
        final int singleLine;
        final int index;

        Column(Loop loop, int index) {
            this.loop = loop;
            this.index = index;
            this.single = null;
            this.singleLine = 0;
        }

        Column(String value, int line) {
            this.loop = null;
            this.index = 0;
            this.single = value;
            this.singleLine = line;
        }

        int rows() {
            return loop == null ? 1 : loop.rows();
        }

        /** The value in a row; null (unknown) past the end of a short or empty loop. */
        String get(int row) {
            if (loop == null) {
                return single;
            }
            int i = row * loop.tags.size() + index;
            return i < loop.count ? loop.values[i] : null;
        }

        int line(int row) {
            if (loop == null) {
                return singleLine;
            }
            int i = row * loop.tags.size() + index;
            return i < loop.count ? loop.lines[i] : loop.line;
        }
    }

    static final class Loop {
        final int line;
        final List<String> tags = new ArrayList<>(8);
        String[] values = new String[16];
        int[] lines = new int[16];
        int count;
        boolean malformed;

        Loop(int line) {
            this.line = line;
        }

        void add(String v, int ln) {
            if (count == values.length) {
                values = java.util.Arrays.copyOf(values, count * 2);
                lines = java.util.Arrays.copyOf(lines, count * 2);
            }
            values[count] = v;
            lines[count++] = ln;
        }

        int rows() {
            return count / tags.size();
        }
    }

    static final class Block {
        final String name;
        final int line;
        final Map<String, Column> columns = new HashMap<>(64);

        Block(String name, int line) {
            this.name = name;
            this.line = line;
        }
    }

    private static final int EOF = 0;
    private static final int DATA = 1;
    private static final int LOOP = 2;
    private static final int TAG = 3;
    private static final int VALUE = 4;
    private static final int SAVE = 5;
    private static final int IGNORED = 6;

    /** Tokenizer + block assembler. Unquoted {@code ?} and {@code .} become null values. */
    private static final class Reader {
        private final String text;
        private final String origin;
        private final int n;
        private int pos;
        private int line = 1;
        private int tokLine;
        private String tok;
        private int values;
        private String blockName = "";

        Reader(String text, String origin) {
            this.text = text;
            this.origin = origin;
            this.n = text.length();
        }

        private CifException error(String type, int atLine, String reason) {
            return new CifException(type, origin, blockName, atLine, reason);
        }

        List<Block> readBlocks() {
            List<Block> blocks = new ArrayList<>(2);
            Block cur = null;
            int t = next();
            while (t != EOF) {
                switch (t) {
                    case DATA -> {
                        cur = new Block(tok, tokLine);
                        blockName = tok;
                        blocks.add(cur);
                        if (blocks.size() > 100_000) {
                            throw error(CifException.TOO_LARGE, tokLine, "more than 100000 data blocks");
                        }
                        t = next();
                    }
                    case SAVE -> {
                        // save frames (dictionaries) carry no structure: skip to the closing save_
                        if (!tok.isEmpty()) {
                            do {
                                t = next();
                            } while (t != EOF && !(t == SAVE && tok.isEmpty()));
                        }
                        if (t != EOF) {
                            t = next();
                        }
                    }
                    case TAG -> {
                        String tag = tok;
                        int tagLine = tokLine;
                        t = next();
                        if (t == VALUE) {
                            if (cur != null) {
                                cur.columns.put(tag, new Column(tok, tokLine));
                            }
                            t = next();
                        } else if (cur != null) {
                            // a tag without a value: recorded as unknown so that a later lookup can say so
                            cur.columns.put(tag, new Column((String) null, tagLine));
                        }
                    }
                    case LOOP -> {
                        Loop loop = new Loop(tokLine);
                        t = next();
                        while (t == TAG) {
                            loop.tags.add(tok);
                            t = next();
                        }
                        while (t == VALUE) {
                            loop.add(tok, tokLine);
                            t = next();
                        }
                        if (loop.tags.isEmpty()) {
                            throw error(CifException.MALFORMED_LOOP, loop.line, "loop_ without any tag");
                        }
                        if (loop.count % loop.tags.size() != 0) {
                            loop.malformed = true;
                        }
                        if (cur != null) {
                            for (int i = 0; i < loop.tags.size(); i++) {
                                cur.columns.put(loop.tags.get(i), new Column(loop, i));
                            }
                        }
                    }
                    default -> t = next(); // stray values, global_, stop_: ignored
                }
            }
            return blocks;
        }

        /** Reads the next token into tok/tokLine and returns its type. */
        private int next() {
            final String s = text;
            while (true) {
                // skip blanks and comments
                while (pos < n) {
                    char c = s.charAt(pos);
                    if (c == '\n') {
                        line++;
                        pos++;
                    } else if (c <= ' ') {
                        pos++;
                    } else if (c == '#') {
                        while (pos < n && s.charAt(pos) != '\n') {
                            pos++;
                        }
                    } else {
                        break;
                    }
                }
                if (pos >= n) {
                    return EOF;
                }
                tokLine = line;
                char c = s.charAt(pos);
                if (c == ';' && (pos == 0 || s.charAt(pos - 1) == '\n' || s.charAt(pos - 1) == '\r')) {
                    return textField();
                }
                if (c == '\'' || c == '"') {
                    return quoted(c);
                }
                int start = pos;
                while (pos < n && s.charAt(pos) > ' ') {
                    pos++;
                }
                int len = pos - start;
                if (c == '_') {
                    tok = lowerTag(s, start, pos);
                    return TAG;
                }
                if (len >= 5) {
                    char c0 = (char) (c | 0x20);
                    if (c0 == 'd' && s.regionMatches(true, start, "data_", 0, 5)) {
                        tok = s.substring(start + 5, pos);
                        return DATA;
                    }
                    if (c0 == 'l' && len == 5 && s.regionMatches(true, start, "loop_", 0, 5)) {
                        return LOOP;
                    }
                    if (c0 == 's' && s.regionMatches(true, start, "save_", 0, 5)) {
                        tok = s.substring(start + 5, pos);
                        return SAVE;
                    }
                    if (c0 == 's' && len == 5 && s.regionMatches(true, start, "stop_", 0, 5)) {
                        return IGNORED;
                    }
                    if (c0 == 'g' && len == 7 && s.regionMatches(true, start, "global_", 0, 7)) {
                        return IGNORED;
                    }
                }
                if (len == 1 && (c == '?' || c == '.')) {
                    tok = null;
                } else {
                    tok = s.substring(start, pos);
                }
                return value();
            }
        }

        private int value() {
            if (++values > MAX_VALUES) {
                throw error(CifException.TOO_LARGE, tokLine, "more than " + MAX_VALUES + " values");
            }
            return VALUE;
        }

        private static String lowerTag(String s, int start, int end) {
            for (int i = start; i < end; i++) {
                char ch = s.charAt(i);
                if (ch >= 'A' && ch <= 'Z') {
                    return s.substring(start, end).toLowerCase(Locale.ROOT);
                }
            }
            return s.substring(start, end);
        }

        private int quoted(char q) {
            final String s = text;
            int start = pos + 1;
            int i = start;
            while (true) {
                if (i >= n) {
                    throw error(CifException.SYNTAX, tokLine, "unterminated quoted string");
                }
                char c = s.charAt(i);
                if (c == '\n' || c == '\r') {
                    throw error(CifException.SYNTAX, tokLine, "quoted string runs past the end of the line");
                }
                if (c == q && (i + 1 >= n || s.charAt(i + 1) <= ' ')) {
                    tok = s.substring(start, i);
                    pos = i + 1;
                    return value();
                }
                i++;
            }
        }

        private int textField() {
            final String s = text;
            int start = pos + 1;
            int i = start;
            int lines = 0;
            while (true) {
                int nl = s.indexOf('\n', i);
                if (nl < 0) {
                    throw error(CifException.SYNTAX, tokLine, "unterminated ;-delimited text field");
                }
                lines++;
                if (nl + 1 < n && s.charAt(nl + 1) == ';') {
                    int end = nl > start && s.charAt(nl - 1) == '\r' ? nl - 1 : nl;
                    tok = s.substring(start, Math.max(start, end));
                    pos = nl + 2;
                    line += lines;
                    return value();
                }
                i = nl + 1;
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // semantics: one block → one structure

    private final class Builder {
        private final Block b;
        private final String origin;

        Builder(Block b, String origin) {
            this.b = b;
            this.origin = origin;
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
    }

    /** Cartesian (Å) → fractional coordinates of one block. */
    @FunctionalInterface
    private interface CartesianFrame {
        double[] toFractional(double x, double y, double z);
    }

    /** Wraps into [0,1), cleaning values within 1e-12 of an integer. */
    static double wrap(double v) {
        double w = v - Math.floor(v);
        if (w >= 1 - 1e-12 || w < 1e-12) {
            return 0.0;
        }
        return w;
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

        void charge(int n, Builder owner, int line) {
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

        List<Site> toSites(double occTol, Builder owner) {
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
