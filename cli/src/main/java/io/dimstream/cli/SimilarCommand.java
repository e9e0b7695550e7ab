package io.dimstream.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.dimstream.core.encoder.EncoderException;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import io.dimstream.search.CifEmbedder;
import io.dimstream.search.ExactIndex;
import io.dimstream.search.HnswIndex;
import io.dimstream.search.Neighbour;
import io.dimstream.search.SearchFilter;
import io.dimstream.search.VectorIndex;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dimstream similar --corpus INPUT... --query INPUT... --k 10}: offline nearest neighbours by embedding. */
@Command(
        name = "similar",
        mixinStandardHelpOptions = true,
        description = {
            "Embed a corpus and queries (CIF files, folders, CSV with a 'cif' column) with one model and print the k nearest corpus structures of each query.",
            "Distance: cosine distance (1 - cos) of the embeddings; the query's own id is never a neighbour. One line per query:",
            "{\"query\":id,\"model_version\":V,\"neighbours\":[{\"id\":...,\"distance\":...},...]}",
            "Without --model the shipped base model in models/base is used.",
            "Inputs that fail go to stderr, one line each (id: code: reason); the exit code is then 1."
        })
public final class SimilarCommand implements Callable<Integer> {

    @Option(names = "--corpus", arity = "1..*", required = true, paramLabel = "INPUT", description = "Corpus inputs.")
    List<Path> corpus;

    @Option(names = "--query", arity = "1..*", required = true, paramLabel = "INPUT", description = "Query inputs.")
    List<Path> query;

    @Option(names = "--k", defaultValue = "10", description = "Neighbours per query (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory (default: the shipped base model, <dimstream home>/models/base).")
    Path model;

    @Option(names = "--index", defaultValue = "hnsw",
            description = "hnsw (Lucene HNSW graph, approximate) or exact (brute force) (default: ${DEFAULT-VALUE}).")
    String index;

    @Option(names = "--candidates", defaultValue = "100", description = "HNSW search candidates per query (ef; default: ${DEFAULT-VALUE}).")
    int candidates;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", defaultValue = "1",
            description = "ONNX Runtime threads per call (default: ${DEFAULT-VALUE}; the calls of a batch already run one per "
                    + "core; 0 = ONNX Runtime's default, all cores per call).")
    int threads;

    PrintStream stdout = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() throws IOException {
        if (k < 1) {
            err.println("similar: search.bad_request: --k must be >= 1, got " + k);
            return 2;
        }
        if (!index.equals("hnsw") && !index.equals("exact")) {
            err.println("similar: search.bad_request: --index must be hnsw or exact, got " + index);
            return 2;
        }
        if (model == null) {
            model = io.dimstream.trainer.BaseModel.defaultDir();
            if (!io.dimstream.trainer.BaseModel.present(model)) {
                err.println("similar: model_not_found: no --model given and no base model at " + model);
                return 2;
            }
        }
        OnnxEncoder enc;
        try {
            enc = OnnxEncoder.load(model, OnnxEncoder.Options.defaults().withDevice(device).withThreads(threads).withMaxBatch(256));
        } catch (EncoderException e) {
            err.println("similar: " + e.code() + ": " + e.getMessage());
            return 2;
        }
        int[] failures = {0};
        try (enc; VectorIndex idx = index.equals("exact") ? new ExactIndex()
                : HnswIndex.inMemory(new HnswIndex.Params(16, 100, Math.max(candidates, k)))) {
            if (enc.featurizerVersion() != SiteNetFeaturizer.VERSION) {
                err.println("similar: " + EncoderException.FEATURIZER_VERSION_MISMATCH + ": model needs featurizer v"
                        + enc.featurizerVersion() + ", this build has v" + SiteNetFeaturizer.VERSION);
                return 2;
            }
            CifEmbedder embedder = new CifEmbedder(enc, 256);
            List<CifEmbedder.Embedded> corpusVecs = embed(embedder, corpus, failures);
            if (corpusVecs.isEmpty()) {
                err.println("similar: search.bad_request: the corpus holds no structure that could be embedded");
                return 2;
            }
            for (CifEmbedder.Embedded e : corpusVecs) {
                idx.upsert(e.id(), e.vector(), e.meta());
            }
            idx.refresh();
            List<CifEmbedder.Embedded> queries = embed(embedder, query, failures);
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), 1 << 16);
            try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
                g.setRootValueSeparator(null);
                for (CifEmbedder.Embedded q : queries) {
                    List<Neighbour> hits = idx.search(q.vector(), k, SearchFilter.excluding(q.id()));
                    g.writeStartObject();
                    g.writeStringField("query", q.id());
                    g.writeNumberField("model_version", enc.modelVersion());
                    g.writeArrayFieldStart("neighbours");
                    for (Neighbour n : hits) {
                        g.writeStartObject();
                        g.writeStringField("id", n.id());
                        g.writeNumberField("distance", (float) n.distance());
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                    g.writeRaw('\n');
                }
                g.flush();
            }
        }
        return failures[0] > 0 ? 1 : 0;
    }

    private List<CifEmbedder.Embedded> embed(CifEmbedder embedder, List<Path> inputs, int[] failures) {
        List<CifEmbedder.Embedded> out = new ArrayList<>();
        for (Path input : inputs) {
            try (Stream<RawCif> records = CifInputs.read(input)) {
                List<RawCif> chunk = new ArrayList<>();
                var it = records.iterator();
                while (it.hasNext()) {
                    chunk.add(it.next());
                    if (chunk.size() >= 1024) {
                        out.addAll(embedder.embed(chunk, f -> fail(f, failures)));
                        chunk.clear();
                    }
                }
                out.addAll(embedder.embed(chunk, f -> fail(f, failures)));
            } catch (IOException | UncheckedIOException e) {
                err.println(input + ": " + String.valueOf(e.getMessage()).replace('\n', ' '));
                failures[0]++;
            }
        }
        return out;
    }

    private void fail(CifEmbedder.Failure f, int[] failures) {
        err.println(f.id() + ": " + f.code() + ": " + f.message());
        failures[0]++;
    }
}
