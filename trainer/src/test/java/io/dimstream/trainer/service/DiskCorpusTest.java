package io.dimstream.trainer.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.SyntheticCrystals;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk corpus (issue 20): latest record per id, persistence, epochs streamed in shuffled blocks. */
class DiskCorpusTest {

    @TempDir
    Path dir;

    static FeaturizedCrystal renamed(FeaturizedCrystal f, String id) {
        return new FeaturizedCrystal(id, f.featurizerVersion(), f.primSites(), f.supercellSites(), f.featureDim(),
                f.siteFeatures(), f.distances(), f.imageOf(), f.formula(), f.source());
    }

    static List<FeaturizedCrystal> crystals(int n) {
        List<FeaturizedCrystal> syn = SyntheticCrystals.generate(n, 3, 5);
        List<FeaturizedCrystal> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(renamed(syn.get(i), "id-" + i));
        }
        return out;
    }

    static List<String> epochIds(DiskCorpus c, long seed, int epoch, int block) {
        List<String> ids = new ArrayList<>();
        Iterator<List<FeaturizedCrystal>> it = c.blocks(seed, epoch, block);
        while (it.hasNext()) {
            List<FeaturizedCrystal> b = it.next();
            assertTrue(b.size() <= block);
            b.forEach(f -> ids.add(f.id()));
        }
        return ids;
    }

    @Test
    void keepsTheLatestRecordPerIdAcrossAReopen() throws Exception {
        List<FeaturizedCrystal> cs = crystals(50);
        try (DiskCorpus c = new DiskCorpus(dir, 1 << 20)) {
            for (FeaturizedCrystal f : cs) {
                c.apply(f.id(), f.toAvro(1, 2));
            }
            c.apply("id-7", renamed(cs.get(8), "id-7").toAvro(1, 2)); // replaced
            c.apply("id-9", null); // deleted
            c.apply("absent", null);
            assertEquals(49, c.size());
        }
        try (DiskCorpus c = new DiskCorpus(dir, 1 << 20)) {
            assertEquals(49, c.size(), "count survives a reopen");
            assertTrue(c.get("id-9").isEmpty());
            FeaturizedCrystal seven = c.get("id-7").orElseThrow();
            assertEquals(cs.get(8).primSites(), seven.primSites());
            assertEquals(cs.get(8).distances()[0], seven.distances()[0]);
        }
    }

    @Test
    void anEpochVisitsEveryRecordOnceInShuffledBlocksAndEpochsDiffer() throws Exception {
        try (DiskCorpus c = new DiskCorpus(dir, 1 << 20)) {
            for (FeaturizedCrystal f : crystals(300)) {
                c.apply(f.id(), f.toAvro(1, 2));
            }
            for (int block : new int[] {1, 7, 64, 1000}) {
                List<String> e0 = epochIds(c, 11, 0, block);
                assertEquals(300, e0.size(), "block " + block);
                assertEquals(300, new HashSet<>(e0).size(), "each record once, block " + block);
            }
            List<String> a = epochIds(c, 11, 0, 64);
            assertEquals(a, epochIds(c, 11, 0, 64), "deterministic for (seed, epoch)");
            List<String> b = epochIds(c, 11, 1, 64);
            assertNotEquals(a, b, "another epoch, another order");
            assertNotEquals(a.subList(0, 64).stream().sorted().toList(), b.subList(0, 64).stream().sorted().toList(),
                    "blocks start at another point of the key space");
            // the key order is a hash permutation, not the insertion order
            Set<String> firstBlock = new HashSet<>(a.subList(0, 64));
            int consecutive = 0;
            for (int i = 0; i < 64; i++) {
                consecutive += firstBlock.contains("id-" + i) ? 1 : 0;
            }
            assertTrue(consecutive < 32, "a block is not the first inserted ids: " + consecutive);
        }
    }
}
