package io.dimstream.core.crystal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A periodic crystal structure: a lattice and the sites of one full unit cell.
 *
 * @param id      the structure's id (material id, file name, file#block)
 * @param lattice the lattice
 * @param sites   all sites of the cell (after symmetry expansion)
 */
public record Structure(String id, Lattice lattice, List<Site> sites) {

    public Structure {
        Objects.requireNonNull(lattice, "lattice");
        sites = List.copyOf(sites);
        id = id == null ? "" : id;
    }

    public int size() {
        return sites.size();
    }

    public Site site(int i) {
        return sites.get(i);
    }

    public boolean isOrdered() {
        for (Site s : sites) {
            if (!s.isOrdered()) {
                return false;
            }
        }
        return true;
    }

    /** Exact minimum-image distance between sites i and j. */
    public double distance(int i, int j) {
        return lattice.minimumImageDistance(sites.get(i).frac(), sites.get(j).frac());
    }

    /** Element → total amount in the cell (occupancy-weighted). */
    public Map<Element, Double> composition() {
        Map<Element, Double> c = new TreeMap<>();
        for (Site s : sites) {
            for (Map.Entry<Species, Double> e : s.species().entrySet()) {
                c.merge(e.getKey().element(), e.getValue(), Double::sum);
            }
        }
        return c;
    }

    /**
     * Reduced formula in element order of electronegativity-free alphabetical convention
     * (e.g. "Fe2O3", "NaCl"); non-integer amounts are printed with up to 3 decimals.
     */
    public String reducedFormula() {
        Map<Element, Double> comp = composition();
        List<Double> amounts = new ArrayList<>(comp.values());
        long scale = 0;
        boolean integral = true;
        for (double a : amounts) {
            if (Math.abs(a - Math.rint(a)) > 1e-6) {
                integral = false;
            }
        }
        double divisor = 1;
        if (integral) {
            for (double a : amounts) {
                scale = gcd(scale, Math.round(a));
            }
            divisor = Math.max(1, scale);
        }
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Element, Double> e : comp.entrySet()) {
            sb.append(e.getKey().symbol());
            double n = e.getValue() / divisor;
            if (Math.abs(n - 1) > 1e-6) {
                if (Math.abs(n - Math.rint(n)) < 1e-6) {
                    sb.append((long) Math.rint(n));
                } else {
                    sb.append(String.format(java.util.Locale.ROOT, "%.3f", n).replaceAll("0+$", ""));
                }
            }
        }
        return sb.toString();
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** A copy with another id. */
    public Structure withId(String newId) {
        return new Structure(newId, lattice, sites);
    }
}
