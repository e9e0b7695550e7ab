package io.dimstream.core.crystal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Random test structures: valid cells, sites at least 1 Å apart, some disorder and charges. */
public final class RandomStructures {
    private RandomStructures() {
    }

    public static Lattice randomLattice(Random rnd) {
        while (true) {
            double a = 3 + 7 * rnd.nextDouble();
            double b = 3 + 7 * rnd.nextDouble();
            double c = 3 + 7 * rnd.nextDouble();
            double al = 60 + 60 * rnd.nextDouble();
            double be = 60 + 60 * rnd.nextDouble();
            double ga = 60 + 60 * rnd.nextDouble();
            try {
                Lattice l = Lattice.fromParameters(a, b, c, al, be, ga);
                if (l.volume() > 0.3 * a * b * c) {
                    return l;
                }
            } catch (IllegalArgumentException e) {
                // invalid angle combination: draw again
            }
        }
    }

    /** A random unimodular integer matrix (det +1) with small entries. */
    public static double[][] randomUnimodular(Random rnd) {
        double[][] u = Mat3.identity();
        for (int s = 0; s < 4; s++) {
            int i = rnd.nextInt(3);
            int j = (i + 1 + rnd.nextInt(2)) % 3;
            int k = rnd.nextInt(5) - 2;
            double[][] e = Mat3.identity();
            e[i][j] = k;
            u = Mat3.multiply(e, u);
        }
        return u;
    }

    public static Structure random(Random rnd, int nSites, String id) {
        Lattice lat = randomLattice(rnd);
        List<Site> sites = new ArrayList<>();
        Element[] pool = {Element.Na, Element.Cl, Element.Fe, Element.O, Element.Si, Element.Ba, Element.Ti};
        int guard = 0;
        while (sites.size() < nSites && guard++ < 10_000) {
            double[] f = {rnd.nextDouble(), rnd.nextDouble(), rnd.nextDouble()};
            boolean ok = true;
            for (Site s : sites) {
                if (lat.minimumImageDistance(s.frac(), f) < 1.0) {
                    ok = false;
                    break;
                }
            }
            if (!ok) {
                continue;
            }
            Map<Species, Double> sp = new LinkedHashMap<>();
            Element e = pool[rnd.nextInt(pool.length)];
            double r = rnd.nextDouble();
            if (r < 0.15) {
                Element e2 = pool[rnd.nextInt(pool.length)];
                if (e2 == e) {
                    e2 = Element.Mg;
                }
                double o = Math.round(rnd.nextDouble() * 100) / 100.0 * 0.9 + 0.05;
                sp.put(Species.of(e), o);
                sp.put(Species.of(e2), Math.round((1 - o) * 1000) / 1000.0);
            } else if (r < 0.3) {
                sp.put(new Species(e, rnd.nextInt(7) - 3), 1.0);
            } else {
                sp.put(Species.of(e), 1.0);
            }
            sites.add(new Site(f, sp, e.symbol() + sites.size()));
        }
        return new Structure(id, lat, sites);
    }
}
