package io.dimstream.core.cif;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The CIF data model as read, before any crystallography: one {@code data_} block with its items and
 * loops, each tag (lower-cased) mapped to a {@link Column} of raw string values with their line numbers.
 * Made by {@link CifReader}, read by {@link StructureBuilder}.
 */
final class CifBlock {
    final String name;
    final int line;
    final Map<String, Column> columns = new HashMap<>(64);

    CifBlock(String name, int line) {
        this.name = name;
        this.line = line;
    }

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
}
