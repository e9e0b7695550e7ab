package io.dimstream.eval;

/**
 * The methods compared by the evaluation, with their names in results.json. A frozen method is a
 * {@link Representation} (what the head sees) under a {@link HeadKind}; every method on DIM features has a
 * control twin ({@link #control()}) with the same head on the same construction from a randomly
 * initialised encoder, so the difference between the two is what pretraining adds.
 */
public enum Method {
    DIM_RIDGE(Representation.DIM, HeadKind.RIDGE),
    DIM_MLP(Representation.DIM, HeadKind.MLP),
    DIM_RF(Representation.DIM, HeadKind.RF),
    DIM_GBM(Representation.DIM, HeadKind.GBM),
    RANDOM_RIDGE(Representation.RANDOM, HeadKind.RIDGE),
    RANDOM_MLP(Representation.RANDOM, HeadKind.MLP),
    RANDOM_RF(Representation.RANDOM, HeadKind.RF),
    RANDOM_GBM(Representation.RANDOM, HeadKind.GBM),
    DIM_LOCAL_RIDGE(Representation.DIM_LOCAL, HeadKind.RIDGE),
    DIM_LOCAL_RF(Representation.DIM_LOCAL, HeadKind.RF),
    RANDOM_LOCAL_RIDGE(Representation.RANDOM_LOCAL, HeadKind.RIDGE),
    RANDOM_LOCAL_RF(Representation.RANDOM_LOCAL, HeadKind.RF),
    HYBRID_RF(Representation.DIM_COMPOSITION, HeadKind.RF),
    HYBRID_GBM(Representation.DIM_COMPOSITION, HeadKind.GBM),
    RANDOM_HYBRID_RF(Representation.RANDOM_COMPOSITION, HeadKind.RF),
    RANDOM_HYBRID_GBM(Representation.RANDOM_COMPOSITION, HeadKind.GBM),
    COMPOSITION_RIDGE(Representation.COMPOSITION_MEAN, HeadKind.RIDGE),
    COMPOSITION_RF(Representation.COMPOSITION, HeadKind.RF),
    COMPOSITION_GBM(Representation.COMPOSITION, HeadKind.GBM),
    COMPOSITION_MLP(Representation.COMPOSITION, HeadKind.MLP),
    DIM_FINETUNE(Representation.DIM, HeadKind.FINETUNE),
    RANDOM_FINETUNE(Representation.RANDOM, HeadKind.FINETUNE);

    /** What a frozen head sees. */
    public enum Representation {
        DIM("dim", "frozen DIM embedding"),
        RANDOM("random", "frozen random-init encoder embedding (control)"),
        DIM_LOCAL("dim+local", "frozen DIM embedding + mean and std over sites of the local site vectors (128-d)"),
        RANDOM_LOCAL("random+local", "the same from the random-init encoder (control)"),
        DIM_COMPOSITION("dim+comp", "frozen DIM embedding joined by id with the composition statistics"),
        RANDOM_COMPOSITION("random+comp", "frozen random-init embedding joined with the composition statistics (control)"),
        COMPOSITION("composition", "Magpie composition statistics (78: 12 properties x 6 statistics, element count, p-norms)"),
        COMPOSITION_MEAN("composition", "mean of the 8 Magpie properties of the featurizer (the weak baseline)");

        private final String prefix;
        private final String description;

        Representation(String prefix, String description) {
            this.prefix = prefix;
            this.description = description;
        }

        /** The method-name prefix (e.g. {@code dim+local}). */
        public String prefix() {
            return prefix;
        }

        public boolean usesDim() {
            return this == DIM || this == DIM_COMPOSITION || this == DIM_LOCAL;
        }

        public boolean usesRandom() {
            return this == RANDOM || this == RANDOM_COMPOSITION || this == RANDOM_LOCAL;
        }

        public boolean usesComposition() {
            return this == COMPOSITION || this == DIM_COMPOSITION || this == RANDOM_COMPOSITION;
        }

        /** The same construction on the other encoder (DIM ⇄ random); itself when no encoder is involved. */
        public Representation twin() {
            return switch (this) {
                case DIM -> RANDOM;
                case RANDOM -> DIM;
                case DIM_COMPOSITION -> RANDOM_COMPOSITION;
                case RANDOM_COMPOSITION -> DIM_COMPOSITION;
                case DIM_LOCAL -> RANDOM_LOCAL;
                case RANDOM_LOCAL -> DIM_LOCAL;
                default -> this;
            };
        }
    }

    /** The head on top. */
    public enum HeadKind {
        RIDGE("ridge", "ridge, penalty by exact leave-one-out MAE"),
        MLP("mlp", "MLP (64 SiLU units, AdamW, best validation epoch)"),
        RF("rf", "random forest (XGBoost, 200 trees, calibrated spread as uncertainty)"),
        GBM("gbm", "gradient-boosted trees (XGBoost, early stopping on validation, 5 seeds)"),
        FINETUNE("finetune", "encoder + head trained end to end");

        private final String id;
        private final String description;

        HeadKind(String id, String description) {
            this.id = id;
            this.description = description;
        }

        public String id() {
            return id;
        }

        /** Heads that give a per-structure uncertainty (calibration is reported for them). */
        public boolean hasUncertainty() {
            return this == RF || this == GBM;
        }
    }

    private final Representation representation;
    private final HeadKind head;

    Method(Representation representation, HeadKind head) {
        this.representation = representation;
        this.head = head;
    }

    public String id() {
        return representation.prefix + "-" + head.id;
    }

    public String description() {
        return representation.description + " + " + head.description;
    }

    public Representation representation() {
        return representation;
    }

    public HeadKind head() {
        return head;
    }

    public boolean finetune() {
        return head == HeadKind.FINETUNE;
    }

    /** The random-init control of a DIM method (same head, same feature construction), or null. */
    public Method control() {
        if (!representation.usesDim()) {
            return null;
        }
        for (Method m : values()) {
            if (m.head == head && m.representation == representation.twin()) {
                return m;
            }
        }
        return null;
    }

    public static Method byId(String id) {
        for (Method m : values()) {
            if (m.id().equalsIgnoreCase(id)) {
                return m;
            }
        }
        throw new EvalException("bad-method", "unknown method '" + id + "'");
    }
}
