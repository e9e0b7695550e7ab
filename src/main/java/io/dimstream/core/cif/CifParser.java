package io.dimstream.core.cif;

import io.dimstream.core.crystal.Structure;
import java.util.ArrayList;
import java.util.List;

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
 *
 * <p>This class is the entry point; the work is done by {@link CifReader} (syntax: tokens, data blocks,
 * loops → {@link CifBlock}) and {@link StructureBuilder} (semantics: cell, symmetry expansion,
 * Cartesian sites, site merging → {@link Structure}).
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
        List<CifBlock> blocks = CifReader.read(text, origin);
        if (blocks.isEmpty()) {
            throw new CifException(CifException.NO_DATA_BLOCK, origin, "", 0, "no data_ block found");
        }
        List<BlockResult> out = new ArrayList<>(blocks.size());
        int total = 0;
        for (CifBlock b : blocks) {
            Structure s;
            try {
                s = new StructureBuilder(b, origin, mergeTolerance, occupancyTolerance).build();
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
            CifBlock b = blocks.get(0);
            throw new CifException(CifException.NO_ATOMS, origin, blocks.size() == 1 ? b.name : "",
                    blocks.size() == 1 ? b.line : 0,
                    "no atom sites (_atom_site_fract_x/y/z or _atom_site_Cartn_x/y/z) in " + (blocks.size() == 1 ? "the data block" : "any of " + blocks.size() + " data blocks"));
        }
        return out;
    }
}
