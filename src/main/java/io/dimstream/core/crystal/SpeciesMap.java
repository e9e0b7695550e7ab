package io.dimstream.core.crystal;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * Immutable, insertion-ordered species → occupancy map of a {@link Site}. Sites usually hold one
 * to a few species, so lookups scan a small array; sharing it between sites avoids copying
 * (e.g. in {@link Site#withFrac}).
 */
final class SpeciesMap extends AbstractMap<Species, Double> {
    private final Species[] keys;
    private final double[] values;
    private int hash;

    private SpeciesMap(Species[] keys, double[] values) {
        this.keys = keys;
        this.values = values;
    }

    static Map<Species, Double> copyOf(Map<Species, Double> m) {
        if (m instanceof SpeciesMap sm) {
            return sm;
        }
        Species[] k = new Species[m.size()];
        double[] v = new double[m.size()];
        int i = 0;
        for (Map.Entry<Species, Double> e : m.entrySet()) {
            k[i] = java.util.Objects.requireNonNull(e.getKey(), "species");
            v[i++] = java.util.Objects.requireNonNull(e.getValue(), "occupancy");
        }
        return new SpeciesMap(k, v);
    }

    @Override
    public int size() {
        return keys.length;
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    public Double get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : values[i];
    }

    private int indexOf(Object key) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i].equals(key)) {
                return i;
            }
        }
        return -1;
    }

    Species key(int i) {
        return keys[i];
    }

    double value(int i) {
        return values[i];
    }

    @Override
    public Set<Map.Entry<Species, Double>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<Species, Double>> iterator() {
                return new Iterator<>() {
                    int i;

                    @Override
                    public boolean hasNext() {
                        return i < keys.length;
                    }

                    @Override
                    public Map.Entry<Species, Double> next() {
                        if (i >= keys.length) {
                            throw new NoSuchElementException();
                        }
                        Map.Entry<Species, Double> e = new AbstractMap.SimpleImmutableEntry<>(keys[i], values[i]);
                        i++;
                        return e;
                    }
                };
            }

            @Override
            public int size() {
                return keys.length;
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        if (o instanceof SpeciesMap sm) {
            if (sm.keys.length != keys.length || sm.hashCode() != hashCode()) {
                return false;
            }
            for (int i = 0; i < keys.length; i++) {
                int j = sm.indexOf(keys[i]);
                if (j < 0 || Double.doubleToLongBits(sm.values[j]) != Double.doubleToLongBits(values[i])) {
                    return false;
                }
            }
            return true;
        }
        return super.equals(o);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = super.hashCode();
            hash = h;
        }
        return h;
    }
}
