package io.dimstream.trainer.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Architecture of the Site-Net DIM encoder and its critics ("compact" configuration of the DIM paper
 * as defaults). Every hidden layer is Linear -> Mish -> LayerNorm.
 *
 * @param featureDim     F, site features per site (9)
 * @param siteDim        initial site projection width (64)
 * @param interactionDim initial interaction (distance) projection width (64)
 * @param pairHidden     hidden width of the attention and value pair MLPs (64)
 * @param valueDim       value vector width (64)
 * @param localDim       local site representation mu_i (32)
 * @param globalHidden   per-site MLP of the global encoder ([64, 128])
 * @param globalDim      width after pooling (64)
 * @param embeddingDim   crystal embedding (64)
 * @param criticHidden   hidden width of the critics (64)
 * @param criticDim      critic output width (128)
 * @param layerNormEps   LayerNorm epsilon
 */
public record SiteNetConfig(
        int featureDim,
        int siteDim,
        int interactionDim,
        int pairHidden,
        int valueDim,
        int localDim,
        List<Integer> globalHidden,
        int globalDim,
        int embeddingDim,
        int criticHidden,
        int criticDim,
        float layerNormEps) {

    public SiteNetConfig {
        globalHidden = List.copyOf(globalHidden);
        if (globalHidden.isEmpty()) {
            throw new IllegalArgumentException("globalHidden needs at least one layer");
        }
    }

    public static SiteNetConfig defaults() {
        return new SiteNetConfig(9, 64, 64, 64, 64, 32, List.of(64, 128), 64, 64, 64, 128, 1e-5f);
    }

    /** A small configuration for fast tests. */
    public static SiteNetConfig tiny(int featureDim) {
        return new SiteNetConfig(featureDim, 16, 16, 16, 16, 8, List.of(16, 24), 16, 16, 16, 24, 1e-5f);
    }

    public SiteNetConfig withFeatureDim(int f) {
        return new SiteNetConfig(f, siteDim, interactionDim, pairHidden, valueDim, localDim, globalHidden, globalDim,
                embeddingDim, criticHidden, criticDim, layerNormEps);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("featureDim", featureDim);
        m.put("siteDim", siteDim);
        m.put("interactionDim", interactionDim);
        m.put("pairHidden", pairHidden);
        m.put("valueDim", valueDim);
        m.put("localDim", localDim);
        m.put("globalHidden", globalHidden);
        m.put("globalDim", globalDim);
        m.put("embeddingDim", embeddingDim);
        m.put("criticHidden", criticHidden);
        m.put("criticDim", criticDim);
        m.put("layerNormEps", (double) layerNormEps);
        return m;
    }

    @SuppressWarnings("unchecked")
    public static SiteNetConfig fromMap(Map<String, Object> m) {
        List<Integer> gh = ((List<Number>) m.get("globalHidden")).stream().map(Number::intValue).toList();
        return new SiteNetConfig(i(m, "featureDim"), i(m, "siteDim"), i(m, "interactionDim"), i(m, "pairHidden"),
                i(m, "valueDim"), i(m, "localDim"), gh, i(m, "globalDim"), i(m, "embeddingDim"),
                i(m, "criticHidden"), i(m, "criticDim"), ((Number) m.get("layerNormEps")).floatValue());
    }

    private static int i(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (v == null) {
            throw new IllegalArgumentException("architecture config lacks '" + k + "'");
        }
        return ((Number) v).intValue();
    }
}
