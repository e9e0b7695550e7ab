package io.dimstream.eval;

/** The methods compared by the evaluation, with their names in results.json. */
public enum Method {
    DIM_RIDGE("dim-ridge", "frozen DIM embedding + ridge"),
    DIM_MLP("dim-mlp", "frozen DIM embedding + MLP"),
    RANDOM_RIDGE("random-ridge", "frozen random-init encoder + ridge (control)"),
    RANDOM_MLP("random-mlp", "frozen random-init encoder + MLP (control)"),
    COMPOSITION_RIDGE("composition-ridge", "mean Magpie features of the composition + ridge"),
    DIM_FINETUNE("dim-finetune", "encoder + head fine-tuned from DIM weights"),
    RANDOM_FINETUNE("random-finetune", "encoder + head fine-tuned from random weights (control)");

    private final String id;
    private final String description;

    Method(String id, String description) {
        this.id = id;
        this.description = description;
    }

    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    public boolean finetune() {
        return this == DIM_FINETUNE || this == RANDOM_FINETUNE;
    }

    public static Method byId(String id) {
        for (Method m : values()) {
            if (m.id.equalsIgnoreCase(id)) {
                return m;
            }
        }
        throw new EvalException("bad-method", "unknown method '" + id + "'");
    }
}
