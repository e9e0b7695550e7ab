package io.dimstream.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command's --help description is made of whole sentences, the summary line first. */
class HelpTextTest {

    @Test
    void everyDescriptionLineEndsASentence() {
        List<String> bad = new ArrayList<>();
        walk(Main.commandLine(), bad);
        assertTrue(bad.isEmpty(), "description lines that do not end a sentence: " + bad);
    }

    private static void walk(CommandLine cl, List<String> bad) {
        String[] lines = cl.getCommandSpec().usageMessage().description();
        String name = cl.getCommandSpec().qualifiedName();
        if (lines.length == 0 && !"help".equals(cl.getCommandName())) {
            bad.add(name + ": (no description)");
        }
        for (String line : lines) {
            String t = line.replace("%n", "").strip();
            boolean example = t.startsWith("{") && t.endsWith("}"); // a JSON-lines example
            if (!example && !(t.endsWith(".") || t.endsWith("?") || t.endsWith(":") && line != lines[0])) {
                bad.add(name + ": " + t);
            }
        }
        for (CommandLine sub : cl.getSubcommands().values()) {
            walk(sub, bad);
        }
    }
}
