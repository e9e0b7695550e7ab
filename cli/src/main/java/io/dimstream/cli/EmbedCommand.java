package io.dimstream.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.dimstream.core.LogSafe;
import io.dimstream.core.cif.CifException;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.encoder.EncoderException;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.FeaturizerException;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dimstream embed --model DIR INPUT...}: CIF → 64-d DIM embeddings as JSON lines. */
@Command(
        name = "embed",
        mixinStandardHelpOptions = true,
        description = {
            "Embed CIF inputs on ONNX Runtime with a trained model directory (model.onnx + model.json).",
            "Without --model the shipped base model in models/base is used.",
            "Prints one JSON object per structure per line:",
            "{\"id\":…,\"model_version\":V,\"embedding\":[64 floats]}",
            "Errors go to stderr, one line each (id: reason); the exit code is 1 if any input failed."
        })
public final class EmbedCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "INPUT",
            description = "A .cif file, a directory (recursively, *.cif), or a .csv/.csv.gz with a 'cif' column.")
    List<Path> inputs;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory (default: the shipped base model, <dimstream home>/models/base).")
    Path model;

    @Option(names = "--device", defaultValue = "auto",
            description = "auto (CUDA if present, else CPU), cpu, or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--batch", defaultValue = "256", description = "Structures per inference call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--precision", converter = PrecisionConverter.class, defaultValue = "fp32",
            description = "Graph precision: fp32, int8 (pair-layer weights quantized; cosine to fp32 >= 0.999), "
                    + "fp16 (GPUs), bf16 (GPUs; no CPU kernels) (default: ${DEFAULT-VALUE}).")
    io.dimstream.core.encoder.Precision precision;

    @Option(names = "--threads", defaultValue = "1",
            description = "ONNX Runtime threads per call (default: ${DEFAULT-VALUE}; the calls of a batch already run one per "
                    + "core; 0 = ONNX Runtime's default, all cores per call).")
    int threads;

    PrintStream stdout = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() throws IOException {
        if (model == null) {
            model = io.dimstream.trainer.BaseModel.defaultDir();
            if (!io.dimstream.trainer.BaseModel.present(model)) {
                err.println("embed: model_not_found: no --model given and no base model at " + model
                        + " (model.onnx + model.json; see docs/pretraining.md)");
                return 2;
            }
        }
        OnnxEncoder enc;
        try {
            enc = OnnxEncoder.load(model, OnnxEncoder.Options.defaults().withDevice(device).withThreads(threads)
                    .withMaxBatch(Math.max(1, batch)).withPrecision(precision));
        } catch (EncoderException e) {
            err.println("embed: " + e.code() + ": " + e.getMessage());
            return 2;
        }
        if (enc.featurizerVersion() != SiteNetFeaturizer.VERSION) {
            err.println("embed: " + EncoderException.FEATURIZER_VERSION_MISMATCH + ": model " + enc.modelName() + " v" + enc.modelVersion()
                    + " needs featurizer v" + enc.featurizerVersion() + ", this build has v" + SiteNetFeaturizer.VERSION);
            enc.close();
            return 2;
        }
        SiteNetFeaturizer featurizer = new SiteNetFeaturizer();
        AtomicInteger failures = new AtomicInteger();
        BufferedWriter w = new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), 1 << 16);
        try (enc; JsonGenerator g = new JsonFactory().createGenerator(w)) {
            g.setRootValueSeparator(null);
            for (Path input : inputs) {
                try (Stream<CifInputs.Entry> entries = CifInputs.entries(input, false)) {
                    Iterator<CifInputs.Entry> it = entries.iterator();
                    List<RawCif> chunk = new ArrayList<>();
                    while (it.hasNext()) {
                        CifInputs.Entry e = it.next();
                        if (!e.ok()) {
                            flushChunk(chunk, featurizer, enc, g, failures);
                            g.flush();
                            err.println(e.error().line());
                            failures.incrementAndGet();
                            continue;
                        }
                        chunk.add(e.raw());
                        if (chunk.size() >= Math.max(batch, 64)) {
                            flushChunk(chunk, featurizer, enc, g, failures);
                        }
                    }
                    flushChunk(chunk, featurizer, enc, g, failures);
                }
            }
        }
        return failures.get() > 0 ? 1 : 0;
    }

    private void flushChunk(List<RawCif> chunk, SiteNetFeaturizer featurizer, OnnxEncoder enc, JsonGenerator g,
            AtomicInteger failures) throws IOException {
        List<Object> results = chunk.parallelStream().map(raw -> {
            List<Object> out = new ArrayList<>();
            try {
                for (Structure s : CifInputs.parse(raw)) {
                    try {
                        out.add(featurizer.featurize(s, s.id(), raw.origin()));
                    } catch (FeaturizerException e) {
                        out.add(LogSafe.escape(s.id()) + ": " + e.code() + ": " + LogSafe.escape(e.getMessage()));
                    }
                }
            } catch (CifException e) {
                out.add(LogSafe.escape(raw.id()) + ": " + LogSafe.escape(e.getMessage()));
            }
            return (Object) out;
        }).flatMap(o -> ((List<?>) o).stream()).map(o -> (Object) o).toList();
        chunk.clear();
        List<FeaturizedCrystal> ok = new ArrayList<>();
        for (Object o : results) {
            if (o instanceof FeaturizedCrystal f) {
                ok.add(f);
            } else {
                g.flush();
                err.println(o);
                failures.incrementAndGet();
            }
        }
        for (int from = 0; from < ok.size(); from += Math.max(1, batch)) {
            List<FeaturizedCrystal> part = ok.subList(from, Math.min(ok.size(), from + Math.max(1, batch)));
            float[][] e = enc.embed(part);
            for (int k = 0; k < part.size(); k++) {
                g.writeStartObject();
                g.writeStringField("id", part.get(k).id());
                g.writeNumberField("model_version", enc.modelVersion());
                g.writeArrayFieldStart("embedding");
                for (float x : e[k]) {
                    g.writeNumber(x);
                }
                g.writeEndArray();
                g.writeEndObject();
                g.writeRaw('\n');
            }
        }
        g.flush();
    }
}
