package io.dimstream.ingest.optimade;

import com.fasterxml.jackson.databind.JsonNode;
import io.dimstream.core.crystal.Element;
import io.dimstream.core.crystal.Lattice;
import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Species;
import io.dimstream.core.crystal.Structure;
import io.dimstream.ingest.IngestException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts one OPTIMADE {@code structures} resource (v1.x) into a {@link Structure}: {@code lattice_vectors}
 * (rows a, b, c in Angstrom), {@code cartesian_site_positions}, {@code species_at_sites} and {@code species}
 * (each with {@code chemical_symbols} and {@code concentration}; {@code "vacancy"} lowers the occupancy,
 * several symbols make a disordered site). Rejects, with a typed reason, what cannot be a periodic 3D
 * crystal: missing fields, non-periodic directions ({@code dimension_types} with a 0, null lattice vectors),
 * unknown symbols ({@code "X"}), concentrations summing above 1, and {@code assemblies} (correlated
 * disorder, which a per-site occupancy model cannot represent).
 */
public final class OptimadeConverter {
    private static final double OCC_TOL = 1e-3;

    private OptimadeConverter() {
    }

    /** The structure of a resource object ({@code {"id":..., "type":"structures", "attributes":{...}}}). */
    public static Structure toStructure(JsonNode resource) throws IngestException {
        String id = text(resource, "id");
        if (id == null || id.isBlank()) {
            throw new IngestException("optimade.missing_id", "structure resource without an id");
        }
        String type = text(resource, "type");
        if (type != null && !type.equals("structures")) {
            throw new IngestException("optimade.wrong_type", id + ": resource type '" + type + "', expected 'structures'");
        }
        JsonNode a = resource.get("attributes");
        if (a == null || !a.isObject()) {
            throw new IngestException("optimade.missing_field", id + ": no attributes");
        }
        JsonNode dims = a.get("dimension_types");
        if (dims != null && dims.isArray()) {
            for (JsonNode d : dims) {
                if (d.isNumber() && d.asInt() == 0) {
                    throw new IngestException("optimade.non_periodic", id + ": dimension_types " + dims + " is not periodic in 3D");
                }
            }
        }
        if (a.has("assemblies") && !a.get("assemblies").isNull()) {
            throw new IngestException("optimade.assemblies", id + ": 'assemblies' (correlated disorder) is not supported");
        }
        Lattice lattice = lattice(id, required(id, a, "lattice_vectors"));
        JsonNode pos = required(id, a, "cartesian_site_positions");
        JsonNode sas = required(id, a, "species_at_sites");
        if (!pos.isArray() || !sas.isArray() || pos.size() != sas.size()) {
            throw new IngestException("optimade.bad_sites", id + ": cartesian_site_positions (" + pos.size()
                    + ") and species_at_sites (" + sas.size() + ") differ in length");
        }
        if (pos.size() == 0) {
            throw new IngestException("optimade.bad_sites", id + ": no sites");
        }
        Map<String, Map<Species, Double>> speciesByName = species(id, a.get("species"));
        List<Site> sites = new ArrayList<>(pos.size());
        for (int idx = 0; idx < pos.size(); idx++) {
            final int i = idx;
            double[] cart = vector(id, pos.get(i), "cartesian_site_positions[" + i + "]");
            String name = sas.get(i).asText();
            Map<Species, Double> occ = speciesByName.get(name);
            if (occ == null) {
                if (speciesByName.isEmpty()) {
                    // no 'species' list: accept plain element symbols, as older providers send
                    Element e = Element.bySymbol(name).orElseThrow(() -> new IngestException(
                            "optimade.unknown_species", id + ": species_at_sites[" + i + "] '" + name + "' is not an element and there is no 'species' list"));
                    occ = Map.of(Species.of(e), 1.0);
                } else {
                    throw new IngestException("optimade.unknown_species",
                            id + ": species_at_sites[" + i + "] names '" + name + "', which is not in 'species'");
                }
            }
            sites.add(new Site(lattice.toFractional(cart), occ, name));
        }
        return new Structure(id, lattice, sites);
    }

    private static Lattice lattice(String id, JsonNode lv) throws IngestException {
        if (!lv.isArray() || lv.size() != 3) {
            throw new IngestException("optimade.bad_lattice", id + ": lattice_vectors must be 3 vectors");
        }
        double[][] m = new double[3][];
        for (int i = 0; i < 3; i++) {
            JsonNode row = lv.get(i);
            for (JsonNode c : row) {
                if (c.isNull()) {
                    throw new IngestException("optimade.non_periodic", id + ": lattice_vectors[" + i + "] has null components (non-periodic direction)");
                }
            }
            m[i] = vector(id, row, "lattice_vectors[" + i + "]");
        }
        try {
            return new Lattice(m);
        } catch (IllegalArgumentException e) {
            throw new IngestException("optimade.bad_lattice", id + ": " + e.getMessage());
        }
    }

    private static Map<String, Map<Species, Double>> species(String id, JsonNode list) throws IngestException {
        Map<String, Map<Species, Double>> out = new HashMap<>();
        if (list == null || list.isNull()) {
            return out;
        }
        if (!list.isArray()) {
            throw new IngestException("optimade.bad_species", id + ": 'species' is not a list");
        }
        for (JsonNode sp : list) {
            String name = text(sp, "name");
            JsonNode symbols = sp.get("chemical_symbols");
            JsonNode conc = sp.get("concentration");
            if (name == null || symbols == null || !symbols.isArray() || symbols.size() == 0) {
                throw new IngestException("optimade.bad_species", id + ": species entry without name or chemical_symbols: " + sp);
            }
            if (conc == null || !conc.isArray() || conc.size() != symbols.size()) {
                throw new IngestException("optimade.bad_species", id + ": species '" + name
                        + "': concentration must list one value per chemical symbol");
            }
            Map<Species, Double> occ = new LinkedHashMap<>();
            double total = 0;
            for (int k = 0; k < symbols.size(); k++) {
                String sym = symbols.get(k).asText();
                double c = conc.get(k).asDouble(Double.NaN);
                if (!(c >= 0 && c <= 1 + OCC_TOL)) {
                    throw new IngestException("optimade.bad_concentration", id + ": species '" + name + "': concentration " + conc.get(k) + " out of [0, 1]");
                }
                total += c;
                if (sym.equals("vacancy")) {
                    continue;
                }
                Element e = Element.bySymbol(sym).orElseThrow(() -> new IngestException("optimade.unknown_symbol",
                        id + ": species '" + name + "': '" + sym + "' is not a chemical element"));
                occ.merge(Species.of(e), c, Double::sum);
            }
            if (total > 1 + OCC_TOL) {
                throw new IngestException("optimade.bad_concentration", id + ": species '" + name + "': concentrations sum to " + total + " > 1");
            }
            if (occ.isEmpty()) {
                throw new IngestException("optimade.bad_species", id + ": species '" + name + "' has no element (only vacancy)");
            }
            out.put(name, occ);
        }
        return out;
    }

    private static JsonNode required(String id, JsonNode a, String field) throws IngestException {
        JsonNode n = a.get(field);
        if (n == null || n.isNull()) {
            throw new IngestException("optimade.missing_field", id + ": missing '" + field + "' (request it in response_fields)");
        }
        return n;
    }

    private static double[] vector(String id, JsonNode n, String what) throws IngestException {
        if (n == null || !n.isArray() || n.size() != 3) {
            throw new IngestException("optimade.bad_vector", id + ": " + what + " must have 3 numbers");
        }
        double[] v = new double[3];
        for (int k = 0; k < 3; k++) {
            JsonNode c = n.get(k);
            if (c == null || !c.isNumber()) {
                throw new IngestException("optimade.bad_vector", id + ": " + what + "[" + k + "] is not a number: " + c);
            }
            v[k] = c.asDouble();
            if (!Double.isFinite(v[k])) {
                throw new IngestException("optimade.bad_vector", id + ": " + what + "[" + k + "] is not finite");
            }
        }
        return v;
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
