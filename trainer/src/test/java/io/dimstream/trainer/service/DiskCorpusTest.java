package io.dimstream.trainer.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.SyntheticCrystals;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk corpus (issue 20): latest record per id, persistence of records, positions and counters,
 * compaction of superseded records, epochs streamed in shuffled blocks, typed errors.
 */
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

    @Test
    void positionsCountersAndTheHeldOutShareSurviveAReopen() throws Exception {
        List<FeaturizedCrystal> cs = crystals(400);
        TopicPartition p0 = new TopicPartition("t.features", 0);
        TopicPartition p1 = new TopicPartition("t-x.features", 1);
        try (DiskCorpus c = new DiskCorpus(dir, 1 << 20)) {
            for (FeaturizedCrystal f : cs) {
                c.apply(f.id(), f.toAvro(1, 2));
            }
            assertEquals(400, c.changesSinceTraining());
            c.checkpoint(Map.of(p0, 250L, p1, 150L));
            c.markTrained();
            c.apply("id-3", cs.get(4).toAvro(1, 2)); // replaced: a change, not a new record
            c.apply("id-5", null);
            c.apply(null, cs.get(6).toAvro(1, 2)); // no key: ignored, as in LocalCorpus
            c.checkpoint(Map.of(p0, 252L));
        }
        long expectHeld = cs.stream().filter(f -> !f.id().equals("id-5"))
                .filter(f -> TrainerService.bucket(f.id()) < 10).count();
        try (DiskCorpus c = new DiskCorpus(dir, 1 << 20)) {
            assertEquals(399, c.size());
            assertEquals(Map.of(p0, 252L, p1, 150L), c.offsets());
            assertEquals(1, c.changesSinceTraining());
            assertEquals(expectHeld, c.heldOut(10), "held-out count kept per bucket, no scan");
            assertTrue(expectHeld > 20 && expectHeld < 60, "~10%: " + expectHeld);
            assertEquals(399, c.heldOut(100));
            List<FeaturizedCrystal> val = c.firstMatching(id -> TrainerService.bucket(id) < 10, f -> true, 15);
            assertEquals(15, val.size());
            assertEquals(val.stream().map(FeaturizedCrystal::id).toList(),
                    c.firstMatching(id -> TrainerService.bucket(id) < 10, f -> true, 15).stream()
                            .map(FeaturizedCrystal::id).toList(), "deterministic");
            int[] n = new int[1];
            c.forEach(f -> n[0]++);
            assertEquals(399, n[0]);
        }
    }

    @Test
    void compactionDropsSupersededAndDeletedRecords() throws Exception {
        List<FeaturizedCrystal> cs = crystals(600);
        try (DiskCorpus c = new DiskCorpus(dir, 1 << 20)) {
            for (FeaturizedCrystal f : cs) {
                c.apply(f.id(), f.toAvro(1, 2));
            }
            c.compact();
            long once = c.tableBytes();
            for (int round = 0; round < 2; round++) { // every id re-sent twice, with another structure
                for (int i = 0; i < cs.size(); i++) {
                    c.apply(cs.get(i).id(), renamed(cs.get((i + round + 1) % cs.size()), cs.get(i).id()).toAvro(1, 2));
                }
                c.flush(); // a table file per round (a memtable would fold the versions before they reach disk)
            }
            for (int i = 0; i < 300; i++) {
                c.apply(cs.get(i).id(), null);
            }
            c.flush();
            long before = c.tableBytes();
            c.compact();
            long after = c.tableBytes();
            assertEquals(300, c.size());
            assertTrue(before > 1.5 * once, "superseded records are on disk before compaction: " + before + " vs " + once);
            assertTrue(after < 0.7 * once, "after compaction about half of one copy: " + after + " vs " + once);
            assertEquals(300, epochIds(c, 1, 0, 50).size());
        }
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefusedWithACode() throws Exception {
        try (DiskCorpus c = new DiskCorpus(dir, 1 << 20)) {
            CorpusException e = assertThrows(CorpusException.class, () -> new DiskCorpus(dir, 1 << 20));
            assertEquals(CorpusException.LOCKED, e.code());
            assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        }
        try (DiskCorpus c = new DiskCorpus(dir, 1 << 20)) { // the lock is released on close
            assertEquals(0, c.size());
        }
    }

    @Test
    void anEpochLeftEarlyFreesItsReaderAndIdsAndRecordsCanBeFiltered() throws Exception {
        try (DiskCorpus c = new DiskCorpus(dir, 1 << 20)) {
            for (FeaturizedCrystal f : crystals(200)) {
                c.apply(f.id(), f.toAvro(1, 2));
            }
            long before = c.decodedRecords();
            try (DiskCorpus.Blocks b = c.blocks(3, 0, 16, id -> !id.endsWith("7"), f -> f.primSites() > 1)) {
                List<String> ids = new ArrayList<>();
                while (b.hasNext()) {
                    b.next().forEach(f -> ids.add(f.id()));
                }
                assertTrue(ids.stream().noneMatch(id -> id.endsWith("7")));
                assertEquals(180, c.decodedRecords() - before, "ids filtered out are never decoded");
            }
            DiskCorpus.Blocks early = c.blocks(3, 1, 16);
            assertTrue(early.hasNext());
            early.next();
            early.close(); // left after one block: the native reader is closed, the corpus closes cleanly
            assertTrue(!early.hasNext());
        }
    }
}
