package io.dimstream.core.cif;

import io.dimstream.core.cif.CifBlock.Column;
import io.dimstream.core.cif.CifBlock.Loop;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * CIF 1.1 syntax: the tokenizer and block assembler. Reads data blocks, items and loops, quoted and
 * semicolon text fields, comments and save frames into {@link CifBlock}s; unquoted {@code ?} and
 * {@code .} become null values. Knows nothing about crystals ({@link StructureBuilder} does).
 */
final class CifReader {

    /** The data blocks of a text, in file order. */
    static List<CifBlock> read(String text, String origin) {
        return new CifReader(text, origin).readBlocks();
    }

    private static final int EOF = 0;
    private static final int DATA = 1;
    private static final int LOOP = 2;
    private static final int TAG = 3;
    private static final int VALUE = 4;
    private static final int SAVE = 5;
    private static final int IGNORED = 6;

    private final String text;
    private final String origin;
    private final int n;
    private int pos;
    private int line = 1;
    private int tokLine;
    private String tok;
    private int values;
    private String blockName = "";

    private CifReader(String text, String origin) {
        this.text = text;
        this.origin = origin;
        this.n = text.length();
    }

    private CifException error(String type, int atLine, String reason) {
        return new CifException(type, origin, blockName, atLine, reason);
    }

    List<CifBlock> readBlocks() {
        List<CifBlock> blocks = new ArrayList<>(2);
        CifBlock cur = null;
        int t = next();
        while (t != EOF) {
            switch (t) {
                case DATA -> {
                    cur = new CifBlock(tok, tokLine);
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
        if (++values > CifParser.MAX_VALUES) {
            throw error(CifException.TOO_LARGE, tokLine, "more than " + CifParser.MAX_VALUES + " values");
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
