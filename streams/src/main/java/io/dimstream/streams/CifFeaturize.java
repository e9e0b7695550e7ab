package io.dimstream.streams;

import io.dimstream.core.cif.CifException;
import io.dimstream.core.cif.CifParser;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.FeaturizerException;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.schemas.CrystalSubmission;
import java.util.List;

/**
 * The production raw → features step: {@link CifParser} then {@link SiteNetFeaturizer}. Submissions
 * in another format are refused ({@code ingest/unsupported_format}); a CIF with several data blocks
 * contributes its first structure.
 */
public final class CifFeaturize implements Featurize {

    private final CifParser parser;
    private final SiteNetFeaturizer featurizer;

    public CifFeaturize() {
        this(new CifParser(), new SiteNetFeaturizer());
    }

    public CifFeaturize(CifParser parser, SiteNetFeaturizer featurizer) {
        this.parser = parser;
        this.featurizer = featurizer;
    }

    @Override
    public FeaturizedCrystal apply(CrystalSubmission s) throws StageException {
        String format = s.getFormat() == null ? "cif" : s.getFormat().trim().toLowerCase();
        if (!format.equals("cif")) {
            throw new StageException("ingest", "unsupported_format", s.getId() + ": payload format '" + format
                    + "' is not handled by the streams app (cif only)");
        }
        List<Structure> structures;
        try {
            structures = parser.parse(s.getPayload(), s.getId());
        } catch (CifException e) {
            throw new StageException("parse", e.code(), e.getMessage());
        }
        if (structures.isEmpty()) {
            throw new StageException("parse", CifException.NO_ATOMS, s.getId() + ": no structure in the CIF");
        }
        try {
            return featurizer.featurize(structures.get(0), s.getId(), s.getSource());
        } catch (FeaturizerException e) {
            throw new StageException("featurize", e.code(), s.getId() + ": " + e.getMessage());
        }
    }

    @Override
    public int featurizerVersion() {
        return SiteNetFeaturizer.VERSION;
    }
}
