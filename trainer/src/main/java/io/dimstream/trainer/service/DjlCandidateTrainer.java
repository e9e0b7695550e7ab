package io.dimstream.trainer.service;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.encoder.PaddedBatch;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.Budget;
import io.dimstream.trainer.Checkpoint;
import io.dimstream.trainer.DimTrainer;
import io.dimstream.trainer.ModelBundle;
import io.dimstream.trainer.TrainConfig;
import io.dimstream.trainer.TrainResult;
import io.dimstream.trainer.dim.DimObjective;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link CandidateTrainer} on the DJL Deep InfoMax trainer ({@link DimTrainer}, {@link ModelBundle}):
 * warm starts from the parent's checkpoint, gates on the full DIM objective on the validation set
 * ({@code val_total}: local + global DIM and the prior-matching terms, computed deterministically by
 * {@link DimTrainer#validate}), and measures parity between the DJL forward pass and the ONNX export
 * run by ONNX Runtime. Callable from any thread: {@link DimTrainer#train} and {@link DimTrainer#validate} set
 * the PyTorch grad mode they need on the calling thread themselves; the parity forward pass uses weights
 * without gradients, so the thread's grad mode does not matter there.
 */
public final class DjlCandidateTrainer implements CandidateTrainer {

    /** The validation metric the gate compares. */
    public static final String GATE_METRIC = "val_total";

    private final TrainConfig config;

    public DjlCandidateTrainer(TrainConfig config) {
        this.config = config;
    }

    @Override
    public TrainedModel train(String modelName, int version, io.dimstream.trainer.TrainingData train,
                              List<FeaturizedCrystal> validation, Optional<TrainedModel> parent, Budget budget)
            throws Exception {
        Path warm = null;
        try {
            if (parent.isPresent() && parent.get().state() != null) {
                warm = Files.createTempDirectory("dimstream-warm-");
                Files.write(warm.resolve(Checkpoint.FILE_NAME), parent.get().state());
            }
            DimTrainer trainer = new DimTrainer(config.withSeed(config.seed() + version));
            // validation is scored once, by the gate (validationLoss); the trainer's own per-epoch
            // validation would only cost time here
            TrainResult result = trainer.train(train, List.of(),
                    new io.dimstream.trainer.Budget(0, budget.wallClock(), budget.maxSteps(), 0, budget.stop()),
                    Optional.ofNullable(warm), null);
            ModelBundle bundle = ModelBundle.create(modelName, version, result, config);
            Path tmp = Files.createTempDirectory("dimstream-bundle-");
            try {
                bundle.checkpoint().write(tmp.resolve(Checkpoint.FILE_NAME));
                return new TrainedModel(bundle.metadata(), bundle.onnxBytes(),
                        Files.readAllBytes(tmp.resolve(Checkpoint.FILE_NAME)));
            } finally {
                deleteTree(tmp);
            }
        } finally {
            if (warm != null) {
                deleteTree(warm);
            }
        }
    }

    private Checkpoint checkpoint(TrainedModel model) throws Exception {
        Path tmp = Files.createTempDirectory("dimstream-ckpt-");
        try {
            Files.write(tmp.resolve(Checkpoint.FILE_NAME), model.state());
            return Checkpoint.read(tmp.resolve(Checkpoint.FILE_NAME));
        } finally {
            deleteTree(tmp);
        }
    }

    @Override
    public double validationLoss(TrainedModel model, List<FeaturizedCrystal> validation) throws Exception {
        Checkpoint ck = checkpoint(model);
        try (NDManager base = NDManager.newBaseManager(io.dimstream.trainer.TrainingDevice.select(config.device())); Params params = Params.fromHost(base, ck.weights())) {
            SiteNetModel net = new SiteNetModel(ck.arch(), params);
            DimObjective objective = new DimObjective(net, config.weights());
            Map<String, Double> m = new DimTrainer(config).validate(base, objective, validation);
            Double v = m.get(GATE_METRIC);
            if (v == null) {
                throw new IllegalStateException("validation did not report " + GATE_METRIC + ": " + m.keySet());
            }
            return v;
        }
    }

    @Override
    public double onnxParity(TrainedModel model, List<FeaturizedCrystal> sample) throws Exception {
        if (sample.isEmpty()) {
            return 0;
        }
        Checkpoint ck = checkpoint(model);
        float[] djl;
        int dim = ck.arch().embeddingDim();
        try (NDManager base = NDManager.newBaseManager(io.dimstream.trainer.TrainingDevice.select(config.device())); Params params = Params.fromHost(base, ck.weights())) {
            SiteNetModel net = new SiteNetModel(ck.arch(), params);
            try (NDManager step = base.newSubManager()) {
                NDArray[] out = net.infer(SiteNetModel.Inputs.of(step, PaddedBatch.of(sample)));
                djl = out[0].toFloatArray();
            }
        }
        double max = 0;
        try (OnnxEncoder enc = OnnxEncoder.fromBytes(model.onnx(), model.metadata(), "cpu")) {
            float[][] ort = enc.embed(sample);
            for (int b = 0; b < sample.size(); b++) {
                for (int k = 0; k < dim; k++) {
                    max = Math.max(max, Math.abs(ort[b][k] - djl[b * dim + k]));
                }
            }
        }
        return max;
    }

    private static void deleteTree(Path p) {
        try (var w = Files.walk(p)) {
            w.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (Exception e) {
            // temp files only
        }
    }
}
