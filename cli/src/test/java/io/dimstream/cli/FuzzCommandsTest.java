package io.dimstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dimstream.core.LogSafe;
import io.dimstream.core.cif.CifMutations;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Fuzz: a folder of a few hundred mutated real CIFs (core's {@link CifMutations}: truncations, bit flips,
 * huge numbers, control characters, inserted tokens, an oversize file), a file whose name holds control
 * characters, a dangling link and a link out of the folder, through {@code parse} and {@code featurize}.
 * Every input yields output or one-line errors with a code; no input is skipped without a word, and no
 * stderr line holds a raw control character.
 */
class FuzzCommandsTest {
    /** An error line's code: "… [cif.reason]" at the end, or "id: featurize.reason: …". */
    static final Pattern CODE = Pattern.compile("\\[([a-z]+\\.[a-z_]+)\\]$|: (featurize\\.[a-z_]+): ");

    @TempDir
    static Path dir;
    static Path in;
    static final Map<String, String> INPUTS = new TreeMap<>(); // id -> path

    @BeforeAll
    static void writeInputs() throws Exception {
        in = Files.createDirectories(dir.resolve("fuzz"));
        for (CifMutations.Case c : CifMutations.generate(23, 300, true)) {
            Path f = in.resolve(c.name() + ".cif");
            Files.writeString(f, c.text(), StandardCharsets.UTF_8);
            INPUTS.put(c.name(), f.toString());
        }
        String evil = "fuzz-name-\u001b[2J\n05:05:00.000 ERROR Fake";
        Path ef = in.resolve(evil + ".cif");
        Files.writeString(ef, "data_evil\n_cell_length_a 3\n");
        INPUTS.put(evil, ef.toString());
        Path dangling = Files.createSymbolicLink(in.resolve("fuzz-dangling.cif"), in.resolve("removed.cif"));
        INPUTS.put("fuzz-dangling", dangling.toString());
        Path outside = Files.createSymbolicLink(in.resolve("fuzz-outside.cif"), Files.writeString(dir.resolve("outside.cif"), "x"));
        INPUTS.put("fuzz-outside", outside.toString());
    }

    record Run(int exit, List<String> out, List<String> err) {
    }

    static Run run(Object cmd, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        if (cmd instanceof ParseCommand p) {
            p.out = o;
            p.err = e;
        } else {
            ((FeaturizeCommand) cmd).stdout = o;
            ((FeaturizeCommand) cmd).err = e;
        }
        int exit = new CommandLine(cmd).execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8).lines().toList(), err.toString(StandardCharsets.UTF_8).lines().toList());
    }

    /**
     * Attributes every output and error line to the input it is about and checks the error lines; returns
     * the count of error lines per code.
     */
    static Map<String, Integer> account(Run r, String what) throws Exception {
        Map<String, Integer> lines = new HashMap<>();
        ObjectMapper om = new ObjectMapper();
        for (String json : r.out()) {
            String id = om.readTree(json).get("id").asText();
            lines.merge(inputOf(id.contains("#") && !INPUTS.containsKey(id) ? id.substring(0, id.indexOf('#')) : id, json), 1, Integer::sum);
        }
        Map<String, Integer> byCode = new TreeMap<>();
        for (String err : r.err()) {
            for (char ch : err.toCharArray()) {
                assertFalse(LogSafe.needsEscape(ch), what + ": raw control character " + (int) ch + " in: " + err);
            }
            Matcher m = CODE.matcher(err);
            assertTrue(m.find(), what + ": error line without a code: " + err);
            byCode.merge(m.group(1) != null ? m.group(1) : m.group(2), 1, Integer::sum);
            String input = null;
            for (Map.Entry<String, String> e : INPUTS.entrySet()) {
                String id = LogSafe.escape(e.getKey());
                if (err.startsWith(id + ": ") || err.startsWith(id + "#") || err.startsWith(LogSafe.escape(e.getValue()) + ": ")) {
                    input = e.getKey();
                }
            }
            assertTrue(input != null, what + ": error line about no input: " + err);
            lines.merge(input, 1, Integer::sum);
        }
        for (String id : INPUTS.keySet()) {
            assertTrue(lines.getOrDefault(id, 0) > 0, what + ": input " + LogSafe.escape(id) + " has no output and no error line");
        }
        return byCode;
    }

    private static String inputOf(String id, String line) {
        assertTrue(INPUTS.containsKey(id), "output for an unknown input: " + line.substring(0, Math.min(200, line.length())));
        return id;
    }

    @Test
    void parseAccountsForEveryInput() throws Exception {
        Run r = run(new ParseCommand(), in.toString());
        assertEquals(1, r.exit());
        Map<String, Integer> byCode = account(r, "parse");
        assertEquals(1, byCode.get("cif.too_large"));
        assertEquals(1, byCode.get("cif.dangling_link"));
        assertEquals(1, byCode.get("cif.outside_link"));
        assertTrue(r.out().size() > 80, r.out().size() + " structures");
        assertTrue(byCode.size() >= 8, byCode.toString());
        System.out.printf("fuzz parse: %d inputs -> %d structures, %d error lines %s%n", INPUTS.size(), r.out().size(),
                r.err().size(), byCode);
    }

    @Test
    void featurizeAccountsForEveryInput() throws Exception {
        Run r = run(new FeaturizeCommand(), in.toString());
        assertEquals(1, r.exit());
        Map<String, Integer> byCode = account(r, "featurize");
        assertEquals(1, byCode.get("cif.too_large"));
        assertEquals(1, byCode.get("cif.dangling_link"));
        assertEquals(1, byCode.get("cif.outside_link"));
        assertTrue(r.out().size() > 80, r.out().size() + " point sets");
        assertTrue(byCode.size() >= 8, byCode.toString());
        System.out.printf("fuzz featurize: %d inputs -> %d point sets, %d error lines %s%n", INPUTS.size(), r.out().size(),
                r.err().size(), byCode);
    }
}
