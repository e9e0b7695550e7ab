package io.dimstream.trainer.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.Budget;
import io.dimstream.trainer.DimTrainer;
import io.dimstream.trainer.SyntheticCrystals;
import io.dimstream.trainer.TrainConfig;
import io.dimstream.trainer.TrainResult;
import io.dimstream.trainer.TrainingData;
import io.dimstream.trainer.model.SiteNetConfig;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's memory does not grow with the corpus (issue 20): a full epoch streamed from a
 * {@link DiskCorpus} through the training batcher ({@link TrainingData#streamed}, batches planned per block
 * by {@link DimTrainer#blockPlan}) of a corpus of N and of 10 N structures.
 *
 * <p>Two checks. Deterministic: at every batch handed to the trainer, the structures decoded from disk
 * minus those already handed out stay below one block, so nothing but the current block is held (reading the
 * corpus ahead, i.e. materialising it, fails this at the first batch). Heap, with wide margins: the heap
 * retained after a full GC, sampled through the epoch, grows by less than 32 MiB over the heap before the
 * epoch for both corpora; the 10 N corpus alone is ~4x that in memory, so holding it fails the check.
 */
class StreamedEpochMemoryTest {

    static final int N = 4_000;
    static final int BLOCK = 256;
    static final long HEAP_MARGIN = 32L << 20;

    @TempDir
    Path dir;

    /** Distinct ids over 100 synthetic structures of up to 12 sites (~4 KiB each once decoded). */
    static void fill(DiskCorpus c, int n) throws Exception {
        List<FeaturizedCrystal> base = SyntheticCrystals.generate(100, 17, 12);
        for (int i = 0; i < n; i++) {
            FeaturizedCrystal f = base.get(i % base.size());
            c.apply("s-" + i, DiskCorpusTest.renamed(f, "s-" + i).toAvro(1, 2));
        }
    }

    static long retainedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    record Epoch(long structures, int distinct, long maxAhead, long heapGrowth, long decodedBytesEstimate) {
    }

    Epoch streamOneEpoch(int n) throws Exception {
        Path d = dir.resolve("c" + n);
        try (DiskCorpus c = new DiskCorpus(d, 4L << 20)) {
            fill(c, n);
            c.flush();
            TrainingData data = TrainingData.streamed(c.size(), Optional::empty, e -> c.blocks(5, e, BLOCK));
            DimTrainer planner = new DimTrainer(TrainConfig.defaults().withArch(SiteNetConfig.tiny(9)).withSeed(3)
                    .withProgressBar(false));
            long heap0 = retainedHeap();
            long decoded0 = c.decodedRecords();
            long handedOut = 0;
            long maxAhead = 0;
            long maxGrowth = 0;
            long bytes = 0;
            int batches = 0;
            BitSet ids = new BitSet(n); // ids are s-<i>: a bit each (a set of strings would itself grow with n)
            try (TrainingData.EpochBatches epoch = data.epoch(planner, 0)) {
                while (epoch.hasNext()) {
                    List<FeaturizedCrystal> batch = epoch.next();
                    handedOut += batch.size();
                    maxAhead = Math.max(maxAhead, c.decodedRecords() - decoded0 - handedOut);
                    for (FeaturizedCrystal f : batch) {
                        ids.set(Integer.parseInt(f.id().substring(2)));
                        bytes += 4L * (f.siteFeatures().length + f.distances().length + f.imageOf().length) + 64;
                    }
                    if (++batches % 40 == 0) { // the batch just taken is live here, as in training
                        maxGrowth = Math.max(maxGrowth, retainedHeap() - heap0);
                    }
                }
            }
            return new Epoch(handedOut, ids.cardinality(), maxAhead, maxGrowth, bytes);
        }
    }

    @Test
    void aStreamedEpochHoldsOneBlockWhateverTheCorpusSize() throws Exception {
        Epoch small = streamOneEpoch(N);
        Epoch large = streamOneEpoch(10 * N);
        System.out.println("streamed epochs: " + small + " / " + large);
        for (Epoch e : List.of(small, large)) {
            assertEquals(e.structures(), e.distinct(), "each structure once per epoch");
            assertTrue(e.maxAhead() < BLOCK, "decoded but not yet handed out: " + e.maxAhead() + " (block " + BLOCK
                    + ")");
        }
        assertEquals(N, small.structures());
        assertEquals(10L * N, large.structures());
        // the large corpus in memory would be several times the margin: the check can fail
        assertTrue(large.decodedBytesEstimate() > 3 * HEAP_MARGIN, "corpus too small to tell: "
                + large.decodedBytesEstimate());
        assertTrue(small.heapGrowth() < HEAP_MARGIN, "heap growth streaming " + N + ": " + small.heapGrowth());
        assertTrue(large.heapGrowth() < HEAP_MARGIN, "heap growth streaming " + 10 * N + ": " + large.heapGrowth()
                + " (" + N + ": " + small.heapGrowth() + ")");
    }

    /** Real optimizer steps from the disk corpus; an epoch left early by the step budget closes its reader. */
    @Test
    void dimTrainerTrainsFromTheDiskCorpus() throws Exception {
        try (DiskCorpus c = new DiskCorpus(dir.resolve("t"), 4L << 20)) {
            fill(c, 400);
            TrainingData data = TrainingData.streamed(c.size(),
                    () -> c.firstMatching(id -> true, f -> true, 1).stream().findFirst(),
                    e -> c.blocks(5, e, 64));
            DimTrainer t = new DimTrainer(TrainConfig.defaults().withArch(SiteNetConfig.tiny(9)).withSeed(3)
                    .withProgressBar(false));
            TrainResult r = t.train(data, List.of(), Budget.steps(3), Optional.empty(), null);
            assertEquals(3, r.steps());
            assertTrue(r.structuresSeen() > 3);
        } // closing the store after an epoch left mid-way does not crash (its iterator was closed)
    }
}
