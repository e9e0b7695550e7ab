package io.dimstream.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.dimstream.core.crystal.PrimitiveCell;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import io.dimstream.core.io.StructureJson;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
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
            "Errors go to stderr, one line each (id-or-file: reason); the exit code is 1 if any input failed."
        })
public final class ParseCommand implements Callable<Integer> {

    @Option(names = "--primitive", description = "Output the primitive cell (site tolerance --site-tolerance), Niggli-reduced.")
    boolean primitive;

    @Option(names = "--site-tolerance", defaultValue = "0.5", paramLabel = "ANGSTROM",
            description = "Site tolerance of the primitive-cell search (default: ${DEFAULT-VALUE} Å).")
    double siteTolerance;

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
            try (Stream<RawCif> records = CifInputs.read(input)) {
                Iterator<RawCif> it = records.iterator();
                while (it.hasNext()) {
                    RawCif raw = it.next();
                    for (CifInputs.Parsed p : CifInputs.parseEach(raw)) {
                        if (!p.ok()) {
                            g.flush();
                            err.println(p.id() + ": " + p.error().getMessage());
                            failures++;
                            continue;
                        }
                        Structure s = p.structure();
                        StructureJson.write(g, primitive ? PrimitiveCell.find(s, siteTolerance) : s);
                        g.writeRaw('\n');
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                g.flush();
                String msg = oneLine(e.getMessage());
                err.println(msg.startsWith(input.toString()) ? msg : input + ": " + msg);
                failures++;
            }
        }
        g.flush();
        w.flush();
        return failures > 0 ? 1 : 0;
    }

    private static String oneLine(String s) {
        return s == null ? "read error" : s.replace('\n', ' ');
    }
}
