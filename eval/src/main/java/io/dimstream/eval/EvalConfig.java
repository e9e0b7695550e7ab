package io.dimstream.eval;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Settings of an evaluation run.
 *
 * @param properties       label columns to predict
 * @param labelCounts      sizes of the labelled training subsets
 * @param seeds            one run per seed for every (property, label count, method)
 * @param methods          methods to run
 * @param pretrainMinutes  DIM pretraining budget (ignored when {@code modelDir} is given)
 * @param modelDir         a pretrained model to reuse instead of pretraining, or null
 * @param pretrainSeed     seed of pretraining and of the random-init control encoder
 * @param validationFraction part of each labelled subset held out for early stopping / best checkpoint
 * @param minValidation    at least this many validation structures
 * @param finetuneSteps    optimiser steps per fine-tuning run (same for DIM and random init)
 * @param finetuneBatch    crystals per fine-tuning step
 * @param finetuneLr       fine-tuning learning rate
 * @param finetuneEvalEvery validate every this many steps (best checkpoint by validation MAE)
 * @param finetunePatience stop after this many validation checks without improvement, halving the learning
 *                         rate after half of them ({@code finetuneSteps} is then a cap); 0 = fixed budget
 */
public record EvalConfig(
        List<String> properties,
        List<Integer> labelCounts,
        List<Long> seeds,
        Set<Method> methods,
        double pretrainMinutes,
        Path modelDir,
        long pretrainSeed,
        double validationFraction,
        int minValidation,
        int finetuneSteps,
        int finetuneBatch,
        double finetuneLr,
        int finetuneEvalEvery,
        int finetunePatience) {

    public EvalConfig {
        properties = List.copyOf(properties);
        labelCounts = labelCounts.stream().sorted().distinct().toList();
        seeds = List.copyOf(seeds);
        methods = methods.isEmpty() ? EnumSet.noneOf(Method.class) : EnumSet.copyOf(methods);
        if (properties.isEmpty()) {
            throw new EvalException("bad-config", "no properties to evaluate");
        }
        if (labelCounts.isEmpty() || labelCounts.get(0) < 2) {
            throw new EvalException("bad-config", "label counts must be at least 2, got " + labelCounts);
        }
        if (seeds.isEmpty()) {
            throw new EvalException("bad-config", "no seeds");
        }
    }

    /** The defaults: sized to finish on 2 CPU cores in under an hour for the full train split. */
    public static EvalConfig defaults() {
        return new EvalConfig(List.of("formation_energy_per_atom", "band_gap"), List.of(50, 100, 250, 1000),
                List.of(0L, 1L, 2L, 3L, 4L), EnumSet.allOf(Method.class), 15, null, 42, 0.2, 5, 2000, 32, 1e-3, 20, 15);
    }

    public boolean needsDim() {
        return methods.stream().anyMatch(m -> m.representation().usesDim());
    }

    public boolean needsRandom() {
        return methods.stream().anyMatch(m -> m.representation().usesRandom());
    }

    public boolean needsCompositionStats() {
        return methods.stream().anyMatch(m -> m.representation().usesComposition());
    }

    public EvalConfig withSeeds(List<Long> s) {
        return new EvalConfig(properties, labelCounts, s, methods, pretrainMinutes, modelDir, pretrainSeed,
                validationFraction, minValidation, finetuneSteps, finetuneBatch, finetuneLr, finetuneEvalEvery, finetunePatience);
    }

    public EvalConfig withPretrain(double minutes, Path model) {
        return new EvalConfig(properties, labelCounts, seeds, methods, minutes, model, pretrainSeed,
                validationFraction, minValidation, finetuneSteps, finetuneBatch, finetuneLr, finetuneEvalEvery, finetunePatience);
    }

    public EvalConfig withPatience(int patience) {
        return new EvalConfig(properties, labelCounts, seeds, methods, pretrainMinutes, modelDir, pretrainSeed,
                validationFraction, minValidation, finetuneSteps, finetuneBatch, finetuneLr, finetuneEvalEvery, patience);
    }

    public EvalConfig withFinetune(int steps, int batch, double lr, int evalEvery) {
        return new EvalConfig(properties, labelCounts, seeds, methods, pretrainMinutes, modelDir, pretrainSeed,
                validationFraction, minValidation, steps, batch, lr, evalEvery, finetunePatience);
    }

    public EvalConfig with(List<String> props, List<Integer> counts, Set<Method> ms) {
        return new EvalConfig(props, counts, seeds, ms, pretrainMinutes, modelDir, pretrainSeed,
                validationFraction, minValidation, finetuneSteps, finetuneBatch, finetuneLr, finetuneEvalEvery, finetunePatience);
    }
}
