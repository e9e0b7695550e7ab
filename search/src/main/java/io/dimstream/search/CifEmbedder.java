package io.dimstream.search;

import io.dimstream.core.DimstreamException;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.encoder.CrystalEncoder;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.dimstream.core.crystal.Element;
import java.util.function.Consumer;

/**
 * CIF text → parsed, featurized (Site-Net) and embedded with one encoder, with the metadata the search
 * shows (formula, elements, sites of the primitive cell, space group from the CIF when given). Used by
 * {@code dimstream similar} (corpus and queries) and by the service for an uploaded CIF, so both embed
 * exactly as the streams app does.
 */
public final class CifEmbedder {

    /** One embedded structure, with its composition (element → atoms per primitive cell). */
    public record Embedded(String id, float[] vector, Meta meta, Map<Element, Double> composition) {
    }

    /** One input that could not be embedded: its id and the parser's/featurizer's code and reason. */
    public record Failure(String id, String code, String message) {
    }

    private final CrystalEncoder encoder;
    private final SiteNetFeaturizer featurizer = new SiteNetFeaturizer();
    private final int batch;

    public CifEmbedder(CrystalEncoder encoder, int batch) {
        this.encoder = encoder;
        this.batch = Math.max(1, batch);
    }

    public int modelVersion() {
        return encoder.modelVersion();
    }

    /**
     * Embeds every structure of {@code raws} (a text with several data blocks gives several, ids
     * {@code id#block}); failures go to {@code failed}, one per structure or unreadable text.
     */
    public List<Embedded> embed(List<RawCif> raws, Consumer<Failure> failed) {
        record Item(FeaturizedCrystal f, Meta meta, Map<Element, Double> composition) {
        }
        List<Object> results = raws.parallelStream().map(raw -> {
            List<Object> out = new ArrayList<>();
            String sg = Meta.spaceGroupOf(raw.text());
            for (CifInputs.Parsed p : CifInputs.parseEach(raw)) {
                if (!p.ok()) {
                    out.add(new Failure(p.id(), p.error().code(), oneLine(p.error().getMessage())));
                    continue;
                }
                Structure s = p.structure();
                try {
                    FeaturizedCrystal f = featurizer.featurize(s, p.id(), raw.origin());
                    out.add(new Item(f, Meta.ofFormula(f.formula(), f.primSites(), sg), s.composition()));
                } catch (DimstreamException e) {
                    out.add(new Failure(p.id(), e.code(), oneLine(e.getMessage())));
                }
            }
            return (Object) out;
        }).flatMap(o -> ((List<?>) o).stream()).map(o -> (Object) o).toList();
        List<Item> ok = new ArrayList<>();
        for (Object o : results) {
            if (o instanceof Item i) {
                ok.add(i);
            } else {
                failed.accept((Failure) o);
            }
        }
        List<Embedded> out = new ArrayList<>(ok.size());
        for (int from = 0; from < ok.size(); from += batch) {
            List<Item> part = ok.subList(from, Math.min(ok.size(), from + batch));
            float[][] e = encoder.embed(part.stream().map(Item::f).toList());
            for (int i = 0; i < part.size(); i++) {
                out.add(new Embedded(part.get(i).f().id(), e[i], part.get(i).meta(), part.get(i).composition()));
            }
        }
        return out;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }
}
