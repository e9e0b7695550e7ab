package io.dimstream.eval;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.util.ArrayList;
import java.util.List;

/** A split of the evaluation (train or test): label-free samples plus their labels, apart. */
public record EvalSplit(String name, List<EvalSample> samples, LabelTable labels) {

    public EvalSplit {
        samples = List.copyOf(samples);
        if (labels.size() != samples.size()) {
            throw new IllegalArgumentException("split " + name + ": " + samples.size() + " samples but labels for "
                    + labels.size());
        }
    }

    public int size() {
        return samples.size();
    }

    public List<String> ids() {
        List<String> ids = new ArrayList<>(samples.size());
        for (EvalSample s : samples) {
            ids.add(s.id());
        }
        return ids;
    }

    public List<FeaturizedCrystal> features(int[] idx) {
        List<FeaturizedCrystal> out = new ArrayList<>(idx.length);
        for (int i : idx) {
            out.add(samples.get(i).features());
        }
        return out;
    }

    public List<FeaturizedCrystal> allFeatures() {
        List<FeaturizedCrystal> out = new ArrayList<>(samples.size());
        for (EvalSample s : samples) {
            out.add(s.features());
        }
        return out;
    }

    /** The pretraining input: the featurized structures only. Labels are not read here. */
    public PretrainCorpus pretrainCorpus() {
        return new PretrainCorpus(allFeatures());
    }

    /** The first n samples (with their labels), e.g. for quick mode after a seeded shuffle. */
    public EvalSplit subset(int[] idx) {
        List<EvalSample> s = new ArrayList<>(idx.length);
        for (int i : idx) {
            s.add(samples.get(i));
        }
        LabelTable t = new LabelTable(idx.length);
        for (String p : labels.properties()) {
            t.put(p, labels.values(p, idx));
        }
        return new EvalSplit(name, s, t);
    }
}
