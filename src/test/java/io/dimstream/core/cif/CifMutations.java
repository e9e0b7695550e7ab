package io.dimstream.core.cif;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Deterministic hostile CIFs for fuzz tests in every module (shipped in core's test-jar): the bundled
 * real samples ({@code cif_samples/}, see SOURCES.txt) mutated by truncation, bit flips, huge and
 * non-finite numbers, control characters, inserted CIF tokens, duplicated slices and deleted lines,
 * plus a few fixed cases (empty, blank, binary garbage, one text over {@link CifParser#MAX_TEXT_CHARS}).
 * The same seed gives the same cases.
 */
public final class CifMutations {
    private CifMutations() {
    }

    /** One generated input: a stable name (usable as an id or file name), how it was made, and the text. */
    public record Case(String name, String kind, String text) {
    }

    static final String[] TOKENS = {"loop_", "data_", "data_x", "_cell_length_a", "_atom_site_fract_x", "?", ".", "'", "\"",
        ";", "\n;", "#", "(", ")", "-", "/", "1e308", "NaN", "x,y", "-x+1/2", "0", "9999999", "_symmetry_equiv_pos_as_xyz",
        "save_a", "global_", "_symmetry_space_group_name_Hall", "'-F 4 2 3'", "_atom_site_occupancy", "_atom_site_type_symbol",
        "_atom_site_Cartn_x", "loop_ _a _b _c", "\t", "\r\n", "Fe3+", "Xx"};
    static final String[] HUGE = {"1e308", "-1e308", "1e999", "-1e-400", "NaN", "Infinity", "-0", "0",
        "9".repeat(400), "1" + "0".repeat(40) + "(3)", "4.0e+2147483648", "0.5(99999999999999999999)"};
    static final char[] CONTROL = {'\u0000', '\u001b', '\r', '\u0085', '\u2028', '\u007f', '\f', '\u0007', '\u202e'};
    private static final Pattern NUMBER = Pattern.compile("(?<![A-Za-z_])-?[0-9]+\\.?[0-9]*(\\([0-9]+\\))?");

    /** The bundled real CIFs the mutations start from. */
    public static List<String> seeds() throws IOException {
        List<String> seeds = new ArrayList<>();
        for (String line : resource("cif_samples/SOURCES.txt").split("\n")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                seeds.add(resource("cif_samples/" + line.split("\\|")[0].trim()));
            }
        }
        return seeds;
    }

    private static String resource(String path) throws IOException {
        try (InputStream in = CifMutations.class.getResourceAsStream("/" + path)) {
            if (in == null) {
                throw new IOException("missing test resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * {@code n} mutated cases (kinds in rotation) and, with {@code specials}, the fixed cases; one of them
     * ({@code kind = "oversize"}) is larger than the parser accepts.
     */
    public static List<Case> generate(long seed, int n, boolean specials) throws IOException {
        List<String> seeds = seeds();
        Random rnd = new Random(seed);
        List<Case> out = new ArrayList<>();
        String[] kinds = {"truncate", "bitflip", "huge_number", "control_chars", "tokens", "duplicate", "delete_lines"};
        for (int i = 0; i < n; i++) {
            String kind = kinds[i % kinds.length];
            String text = mutate(seeds.get(rnd.nextInt(seeds.size())), kind, rnd);
            out.add(new Case(String.format("fuzz-%03d-%s", i, kind), kind, text));
        }
        if (specials) {
            out.add(new Case("fuzz-empty", "empty", ""));
            out.add(new Case("fuzz-blank", "blank", " \n\t\n"));
            byte[] junk = new byte[4096];
            rnd.nextBytes(junk);
            out.add(new Case("fuzz-binary", "binary", new String(junk, StandardCharsets.ISO_8859_1)));
            StringBuilder big = new StringBuilder(seeds.get(0));
            while (big.length() <= CifParser.MAX_TEXT_CHARS) {
                big.append("# padding ").append("x".repeat(1000)).append('\n');
            }
            out.add(new Case("fuzz-oversize", "oversize", big.toString()));
        }
        return out;
    }

    static String mutate(String seed, String kind, Random rnd) {
        StringBuilder sb = new StringBuilder(seed);
        switch (kind) {
            case "truncate" -> sb.setLength(rnd.nextInt(sb.length()));
            case "bitflip" -> {
                byte[] b = seed.getBytes(StandardCharsets.UTF_8);
                for (int k = 1 + rnd.nextInt(8); k > 0; k--) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
                return new String(b, StandardCharsets.UTF_8);
            }
            case "huge_number" -> {
                Matcher m = NUMBER.matcher(seed);
                List<int[]> spans = new ArrayList<>();
                while (m.find()) {
                    spans.add(new int[] {m.start(), m.end()});
                }
                for (int k = 1 + rnd.nextInt(3); k > 0 && !spans.isEmpty(); k--) {
                    int[] s = spans.remove(rnd.nextInt(spans.size()));
                    sb.replace(s[0], s[1], HUGE[rnd.nextInt(HUGE.length)]);
                    spans.replaceAll(x -> x[0] > s[0] ? null : x);
                    spans.removeIf(x -> x == null);
                }
            }
            case "control_chars" -> {
                for (int k = 1 + rnd.nextInt(5); k > 0; k--) {
                    sb.insert(rnd.nextInt(sb.length() + 1), CONTROL[rnd.nextInt(CONTROL.length)]);
                }
            }
            case "tokens" -> {
                for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                    sb.insert(rnd.nextInt(sb.length() + 1), TOKENS[rnd.nextInt(TOKENS.length)]);
                }
            }
            case "duplicate" -> {
                int pos = rnd.nextInt(sb.length());
                int end = Math.min(sb.length(), pos + rnd.nextInt(2000));
                String slice = sb.substring(pos, end);
                for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                    sb.insert(pos, slice);
                }
            }
            case "delete_lines" -> {
                List<String> lines = new ArrayList<>(List.of(seed.split("\n", -1)));
                for (int k = 1 + rnd.nextInt(6); k > 0 && lines.size() > 1; k--) {
                    lines.remove(rnd.nextInt(lines.size()));
                }
                return String.join("\n", lines);
            }
            default -> throw new IllegalArgumentException(kind);
        }
        return sb.toString();
    }
}
