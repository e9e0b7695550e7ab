package io.dimstream.core.crystal;

import java.util.Map;

/**
 * One crystallographic site: fractional coordinates and the species on it with occupancies.
 * An ordered site has one species at occupancy 1; a disordered site has several (or a total
 * occupancy below 1, i.e. vacancies). The occupancy sum never exceeds 1 (+ tolerance, checked by
 * the parser).
 *
 * @param frac    fractional coordinates (not necessarily wrapped into [0,1))
 * @param species species → occupancy, insertion-ordered
 * @param label   the site label from the source ("Fe1"), or empty
 */
public record Site(double[] frac, Map<Species, Double> species, String label) {

    public Site {
        if (frac.length != 3) {
            throw new IllegalArgumentException("site needs 3 fractional coordinates");
        }
        frac = frac.clone();
        if (species.isEmpty()) {
            throw new IllegalArgumentException("site has no species");
        }
        species = SpeciesMap.copyOf(species);
        label = label == null ? "" : label;
    }

    /** An ordered site with a single element at full occupancy. */
    public static Site of(Element element, double x, double y, double z) {
        return new Site(new double[] {x, y, z}, Map.of(Species.of(element), 1.0), element.symbol());
    }

    @Override
    public double[] frac() {
        return frac.clone();
    }

    /** Coordinate k without copying. */
    public double frac(int k) {
        return frac[k];
    }

    public boolean isOrdered() {
        return species.size() == 1 && Math.abs(((SpeciesMap) species).value(0) - 1.0) < 1e-9;
    }

    public double totalOccupancy() {
        SpeciesMap m = (SpeciesMap) species;
        double s = 0;
        for (int i = 0; i < m.size(); i++) {
            s += m.value(i);
        }
        return s;
    }

    /** The majority species (first on ties). */
    public Species majoritySpecies() {
        Species best = null;
        double bestOcc = -1;
        for (Map.Entry<Species, Double> e : species.entrySet()) {
            if (e.getValue() > bestOcc) {
                best = e.getKey();
                bestOcc = e.getValue();
            }
        }
        return best;
    }

    /** Same species and occupancies (used by the primitive-cell search). */
    public boolean sameSpecies(Site other, double occupancyTolerance) {
        SpeciesMap a = (SpeciesMap) species;
        SpeciesMap b = (SpeciesMap) other.species;
        if (a == b) {
            return true;
        }
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            Double o = b.get(a.key(i));
            if (o == null || Math.abs(o - a.value(i)) > occupancyTolerance) {
                return false;
            }
        }
        return true;
    }

    /** A copy at other coordinates. */
    public Site withFrac(double[] newFrac) {
        return new Site(newFrac, species, label);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Site s && java.util.Arrays.equals(frac, s.frac) && species.equals(s.species) && label.equals(s.label);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Arrays.hashCode(frac) + species.hashCode();
    }

    @Override
    public String toString() {
        return "Site" + java.util.Arrays.toString(frac) + species;
    }
}
