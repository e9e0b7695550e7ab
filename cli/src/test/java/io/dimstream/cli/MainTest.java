package io.dimstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

    private static Set<String> registered(String... args) {
        return Main.commandLine(args).getSubcommands().keySet();
    }

    @Test
    void aNamedSubcommandIsTheOnlyOneBuilt() {
        assertEquals(Set.of("parse"), registered("parse", "x.cif"));
        assertEquals(Set.of("bench"), registered("bench", "parse"));
        assertEquals(Set.of("similar"), registered("similar", "--help"));
    }

    @Test
    void helpUnknownWordsAndNoArgumentsBuildTheWholeTree() {
        int all = Main.SUBCOMMANDS.size();
        assertEquals(all, registered().size());
        assertEquals(all, registered("help", "parse").size());
        assertEquals(all, registered("--help").size());
        assertEquals(all, registered("pars").size());
        assertEquals(Set.of(), registered("--version"));
    }

    @Test
    void everySubcommandIsListedInOrderAndAnswersToItsName() {
        List<String> names = List.copyOf(Main.commandLine().getSubcommands().keySet());
        assertEquals(List.of("help", "parse", "featurize", "pretrain", "embed", "bench", "streams", "trainer", "demo",
                "ingest", "predict", "broker", "search", "keys", "model", "evaluate", "similar"), names);
        for (String n : names) {
            if (!n.equals("help")) {
                CommandLine one = Main.commandLine(new String[] {n});
                assertEquals(Set.of(n), one.getSubcommands().keySet(), n);
            }
        }
    }

    @Test
    void aLazyCommandLineRunsLikeTheFullOne() {
        java.io.StringWriter err = new java.io.StringWriter();
        CommandLine cl = Main.commandLine(new String[] {"parse", "/no/such/file.cif"});
        cl.setErr(new java.io.PrintWriter(err));
        // the parse command reports a missing input on stderr and exits 1, as through the full tree
        assertEquals(1, cl.execute("parse", "/no/such/file.cif"));
    }
}
