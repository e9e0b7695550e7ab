package io.dimstream.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.dimstream.core.LogSafe;
import io.dimstream.core.cif.CifException;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.FeaturizerException;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import io.dimstream.schemas.CrystalFeatures;
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
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dimstream featurize INPUT... [--out file.avro]}: CIF → Site-Net point sets. */
@Command(
        name = "featurize",
        mixinStandardHelpOptions = true,
        description = {
            "Featurize CIF inputs into Site-Net point sets (featurizer v" + SiteNetFeaturizer.VERSION + ").",
            "Each structure is reduced to its primitive cell and a near-cubic supercell; its S x J minimum-image distances and 9 standardised site features are computed (see docs/featurizer.md).",
            "Cells above the supercell limits (more than 64 primitive sites) get per-site neighbour lists instead: row i holds the K = 50 nearest atoms of site i, and image_of holds one list per row.",
            "Prints one JSON object per structure per line on stdout, shaped like this:",
            "{\"id\":…,\"featurizer_version\":2,\"formula\":…,\"prim_sites\":S,\"supercell_sites\":J, \"site_features\":[[…]…],\"distances\":[[…]…],\"image_of\":[…] or [[…]…]}",
            "With --out, it writes an Avro container file of CrystalFeatures records instead.",
            "Errors go to stderr, one line each (id: reason with its code); every input yields output or an error line, and the exit code is 1 if any failed."
        })
public final class FeaturizeCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "INPUT",
            description = "A .cif file, a directory (recursively, *.cif), or a .csv/.csv.gz with a 'cif' column.")
    List<Path> inputs;

    @Option(names = "--allow-outside-links",
            description = "In a folder, also read symbolic links that point outside it (default: reported as cif.outside_link and not read).")
    boolean allowOutsideLinks;

    @Option(names = "--out", paramLabel = "FILE.avro", description = "Write an Avro container file of CrystalFeatures instead of JSON lines.")
    Path out;

    @Option(names = "--max-supercell-atoms", paramLabel = "N", defaultValue = "50",
            description = "Supercell size cap N, also the neighbours per site K of large cells (default: ${DEFAULT-VALUE}).")
    int maxSupercellAtoms;

    @Option(names = "--max-prim-sites", paramLabel = "S", defaultValue = "64",
            description = "Largest primitive cell featurized with a supercell; larger cells get per-site neighbour lists (default: ${DEFAULT-VALUE}).")
    int maxPrimSites;

    @Option(names = "--max-distance-pairs", paramLabel = "SJ", defaultValue = "4096",
            description = "Largest supercell distance tensor S·J; larger ones get per-site neighbour lists (default: ${DEFAULT-VALUE}).")
    int maxDistancePairs;

    @Option(names = "--max-sites", paramLabel = "S", defaultValue = "2000",
            description = "Resource limit: largest accepted primitive cell; larger ones are rejected (default: ${DEFAULT-VALUE}).")
    int maxSites;

    @Option(names = "--max-pairs", paramLabel = "SK", defaultValue = "100000",
            description = "Resource limit: largest accepted S·K of a neighbour-list cell (default: ${DEFAULT-VALUE}).")
    long maxPairs;

    @Option(names = "--site-tolerance", paramLabel = "ANGSTROM", defaultValue = "0.5",
            description = "Site tolerance of the primitive-cell search (default: ${DEFAULT-VALUE} Å).")
    double siteTolerance;

    PrintStream stdout = System.out;
    PrintStream err = System.err;

    /** Where the output goes: JSON lines or an Avro file. */
    private interface Sink extends AutoCloseable {
        void write(FeaturizedCrystal f) throws IOException;

        /** Flushes pending output so an error line lands after what came before it. */
        void flush() throws IOException;

        @Override
        void close() throws IOException;
    }

    @Override
    public Integer call() throws IOException {
        SiteNetFeaturizer featurizer;
        try {
            featurizer = new SiteNetFeaturizer(new SiteNetFeaturizer.Config(maxSupercellAtoms, maxPrimSites, maxDistancePairs,
                    maxSites, maxPairs, siteTolerance));
        } catch (IllegalArgumentException e) {
            err.println("featurize: " + e.getMessage());
            return 2;
        }
        int failures = 0;
        int written = 0;
        long now = System.currentTimeMillis();
        try (Sink sink = out == null ? jsonSink() : avroSink(out, now)) {
            for (Path input : inputs) {
                try (Stream<CifInputs.Entry> entries = CifInputs.entries(input, allowOutsideLinks)) {
                    Iterator<CifInputs.Entry> it = entries.iterator();
                    while (it.hasNext()) {
                        CifInputs.Entry entry = it.next();
                        if (!entry.ok()) {
                            sink.flush();
                            err.println(entry.error().line());
                            failures++;
                            continue;
                        }
                        RawCif raw = entry.raw();
                        List<Structure> structures;
                        try {
                            structures = CifInputs.parse(raw);
                        } catch (CifException e) {
                            sink.flush();
                            err.println(LogSafe.escape(raw.id()) + ": " + LogSafe.escape(e.getMessage()));
                            failures++;
                            continue;
                        }
                        for (Structure s : structures) {
                            try {
                                sink.write(featurizer.featurize(s, s.id(), raw.origin()));
                                written++;
                            } catch (FeaturizerException e) {
                                sink.flush();
                                err.println(LogSafe.escape(s.id()) + ": " + e.code() + ": " + LogSafe.escape(e.getMessage()));
                                failures++;
                            }
                        }
                    }
                }
            }
        }
        if (out != null) {
            err.printf("featurize: wrote %d records to %s (%d failed; %d imputed Magpie values used)%n",
                    written, out, failures, featurizer.imputedValueCount());
        }
        return failures > 0 ? 1 : 0;
    }

    private Sink jsonSink() throws IOException {
        BufferedWriter w = new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), 1 << 16);
        JsonGenerator g = new JsonFactory().createGenerator(w);
        g.setRootValueSeparator(null);
        return new Sink() {
            @Override
            public void write(FeaturizedCrystal f) throws IOException {
                writeJson(g, f);
                g.writeRaw('\n');
            }

            @Override
            public void flush() throws IOException {
                g.flush();
            }

            @Override
            public void close() throws IOException {
                g.flush();
                w.flush();
            }
        };
    }

    private static Sink avroSink(Path file, long now) throws IOException {
        DataFileWriter<CrystalFeatures> w = new DataFileWriter<>(new SpecificDatumWriter<>(CrystalFeatures.class));
        w.setCodec(CodecFactory.deflateCodec(6));
        w.create(CrystalFeatures.getClassSchema(), file.toFile());
        return new Sink() {
            @Override
            public void write(FeaturizedCrystal f) throws IOException {
                w.append(f.toAvro(now, now));
            }

            @Override
            public void flush() {
                // nothing interleaves with the file
            }

            @Override
            public void close() throws IOException {
                w.close();
            }
        };
    }

    /** One point set as a JSON object (keys as in the command description). */
    static void writeJson(JsonGenerator g, FeaturizedCrystal f) throws IOException {
        int s = f.primSites();
        int j = f.supercellSites();
        g.writeStartObject();
        g.writeStringField("id", f.id());
        g.writeNumberField("featurizer_version", f.featurizerVersion());
        g.writeStringField("formula", f.formula());
        g.writeNumberField("prim_sites", s);
        g.writeNumberField("supercell_sites", j);
        g.writeArrayFieldStart("site_features");
        for (int i = 0; i < s; i++) {
            g.writeStartArray();
            for (int k = 0; k < f.featureDim(); k++) {
                g.writeNumber(f.siteFeature(i, k));
            }
            g.writeEndArray();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("distances");
        for (int i = 0; i < s; i++) {
            g.writeStartArray();
            for (int a = 0; a < j; a++) {
                g.writeNumber(f.distance(i, a));
            }
            g.writeEndArray();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("image_of");
        if (f.perSiteNeighbours()) {
            for (int i = 0; i < s; i++) {
                g.writeStartArray();
                for (int a = 0; a < j; a++) {
                    g.writeNumber(f.neighbour(i, a));
                }
                g.writeEndArray();
            }
        } else {
            for (int v : f.imageOf()) {
                g.writeNumber(v);
            }
        }
        g.writeEndArray();
        g.writeEndObject();
    }

}
