package io.dimstream.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.dimstream.core.LogSafe;
import io.dimstream.core.crystal.PrimitiveCell;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.StructureJson;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dimstream parse [--primitive] INPUT...}: CIF → one JSON structure per line. */
@Command(
        name = "parse",
        mixinStandardHelpOptions = true,
        description = {
            "Parse CIF inputs into structures (lattice and sites) printed as JSON lines.",
            "Prints one JSON object per structure per line on stdout, shaped like this:",
            "{\"id\":…,\"lattice\":[[…],[…],[…]],\"sites\":[{\"frac\":[x,y,z],\"species\":{\"Fe\":1.0}},…]}",
            "Errors go to stderr, one line each (id-or-file: reason [code]); every input yields output or an error line, and the exit code is 1 if any failed."
        })
public final class ParseCommand implements Callable<Integer> {

    @Option(names = "--primitive", description = "Output the primitive cell (site tolerance --site-tolerance), Niggli-reduced.")
    boolean primitive;

    @Option(names = "--site-tolerance", defaultValue = "0.5", paramLabel = "ANGSTROM",
            description = "Site tolerance of the primitive-cell search (default: ${DEFAULT-VALUE} Å).")
    double siteTolerance;

    @Option(names = "--allow-outside-links",
            description = "In a folder, also read symbolic links that point outside it (default: reported as cif.outside_link and not read).")
    boolean allowOutsideLinks;

    @Parameters(arity = "1..*", paramLabel = "INPUT",
            description = "A .cif file, a directory (recursively, *.cif), or a .csv/.csv.gz with a 'cif' column.")
    List<Path> inputs;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() throws IOException {
        int failures = 0;
        BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        JsonGenerator g = new JsonFactory().createGenerator(w);
        g.setRootValueSeparator(null);
        for (Path input : inputs) {
            try (Stream<CifInputs.Entry> entries = CifInputs.entries(input, allowOutsideLinks)) {
                Iterator<CifInputs.Entry> it = entries.iterator();
                while (it.hasNext()) {
                    CifInputs.Entry e = it.next();
                    if (!e.ok()) {
                        g.flush();
                        err.println(e.error().line());
                        failures++;
                        continue;
                    }
                    for (CifInputs.Parsed p : CifInputs.parseEach(e.raw())) {
                        if (!p.ok()) {
                            g.flush();
                            err.println(LogSafe.escape(p.id()) + ": " + LogSafe.escape(p.error().getMessage()));
                            failures++;
                            continue;
                        }
                        Structure s = p.structure();
                        StructureJson.write(g, primitive ? PrimitiveCell.find(s, siteTolerance) : s);
                        g.writeRaw('\n');
                    }
                }
            }
        }
        g.flush();
        w.flush();
        return failures > 0 ? 1 : 0;
    }

}
