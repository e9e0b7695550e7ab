package io.dimstream.trainer;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * What {@link DimTrainer} trains on: the batches of each epoch, in training order. Two kinds:
 *
 * <ul>
 *   <li>{@link #of(List)}: a corpus in memory; each epoch is planned over all of it
 *       ({@link DimTrainer#epochPlan}: shuffled, size-bucketed, batch order shuffled). Unchanged training
 *       behaviour (same batches, same results) as before this type existed.</li>
 *   <li>{@link #streamed}: a corpus that is never in memory as a whole (the trainer's disk corpus): each
 *       epoch is a sequence of shuffled blocks of at most {@code blockSize} structures read from its
 *       source, and batches are planned within one block at a time ({@link DimTrainer#blockPlan}). Only the
 *       current block is held: the next one is read when the current block's last batch has been taken.</li>
 * </ul>
 */
public interface TrainingData {

    /** Structures in one epoch (for a stream: as counted by its source). */
    long size();

    /** The first structure: its featurizer version and feature count fix the model's input. */
    Optional<FeaturizedCrystal> first();

    /** The batches of {@code epoch}, in training order, planned with {@code trainer}'s caps and seed. */
    EpochBatches epoch(DimTrainer trainer, int epoch);

    /** The batches of one epoch; close it when leaving the epoch early (a stream frees its reader). */
    interface EpochBatches extends Iterator<List<FeaturizedCrystal>>, AutoCloseable {
        /** Batches in the epoch when known up front (in memory), else -1. */
        int planned();

        @Override
        void close();
    }

    /** The in-memory corpus {@code train}. */
    static TrainingData of(List<FeaturizedCrystal> train) {
        return new InMemory(train);
    }

    /**
     * A streamed corpus.
     *
     * @param size   structures per epoch (progress, logs and the train size reported; not used to stop)
     * @param first  the first structure of the source (featurizer version and feature count)
     * @param blocks the shuffled blocks of an epoch; an {@link AutoCloseable} iterator is closed when the
     *               epoch ends or is left early
     */
    static TrainingData streamed(long size, Supplier<Optional<FeaturizedCrystal>> first,
            IntFunction<Iterator<List<FeaturizedCrystal>>> blocks) {
        return new Streamed(size, first, blocks);
    }

    /** {@link #of(List)}. */
    record InMemory(List<FeaturizedCrystal> crystals) implements TrainingData {
        @Override
        public long size() {
            return crystals.size();
        }

        @Override
        public Optional<FeaturizedCrystal> first() {
            return crystals.isEmpty() ? Optional.empty() : Optional.of(crystals.get(0));
        }

        @Override
        public EpochBatches epoch(DimTrainer trainer, int epoch) {
            List<int[]> plan = trainer.epochPlan(crystals, epoch);
            return new EpochBatches() {
                int next;

                @Override
                public int planned() {
                    return plan.size();
                }

                @Override
                public boolean hasNext() {
                    return next < plan.size();
                }

                @Override
                public List<FeaturizedCrystal> next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return gather(crystals, plan.get(next++));
                }

                @Override
                public void close() {
                }
            };
        }
    }

    /** {@link #streamed}. */
    final class Streamed implements TrainingData {
        private final long size;
        private final Supplier<Optional<FeaturizedCrystal>> first;
        private final IntFunction<Iterator<List<FeaturizedCrystal>>> blocks;

        Streamed(long size, Supplier<Optional<FeaturizedCrystal>> first,
                IntFunction<Iterator<List<FeaturizedCrystal>>> blocks) {
            this.size = size;
            this.first = first;
            this.blocks = blocks;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public Optional<FeaturizedCrystal> first() {
            return first.get();
        }

        @Override
        public EpochBatches epoch(DimTrainer trainer, int epoch) {
            Iterator<List<FeaturizedCrystal>> source = blocks.apply(epoch);
            return new EpochBatches() {
                List<FeaturizedCrystal> block = List.of();
                List<int[]> plan = List.of();
                int next;
                int blockIndex;
                boolean closed;

                @Override
                public int planned() {
                    return -1;
                }

                @Override
                public boolean hasNext() {
                    while (next >= plan.size()) {
                        // the current block is used up: drop it before the next one is read
                        block = List.of();
                        plan = List.of();
                        next = 0;
                        if (closed || !source.hasNext()) {
                            close();
                            return false;
                        }
                        block = source.next();
                        plan = block.isEmpty() ? List.of() : trainer.blockPlan(block, epoch, blockIndex++);
                    }
                    return true;
                }

                @Override
                public List<FeaturizedCrystal> next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return Collections.unmodifiableList(gather(block, plan.get(next++)));
                }

                @Override
                public void close() {
                    if (closed) {
                        return;
                    }
                    closed = true;
                    block = List.of();
                    plan = List.of();
                    if (source instanceof AutoCloseable c) {
                        try {
                            c.close();
                        } catch (RuntimeException e) {
                            throw e;
                        } catch (Exception e) {
                            throw new IllegalStateException("closing the epoch's reader: " + e.getMessage(), e);
                        }
                    }
                }
            };
        }
    }

    /** The crystals of one planned batch, in plan order. */
    private static List<FeaturizedCrystal> gather(List<FeaturizedCrystal> from, int[] indices) {
        List<FeaturizedCrystal> cs = new ArrayList<>(indices.length);
        for (int idx : indices) {
            cs.add(from.get(idx));
        }
        return cs;
    }
}
