package io.dimstream.trainer.service;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.schemas.CrystalFeatures;
import java.io.IOException;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The trainer's copy of {@code crystals.features} (the latest record per id) plus the consumer positions it
 * reflects: {@link LocalCorpus} (in memory, {@code corpus.store=memory}) or {@link DiskCorpus} (RocksDB,
 * streamed epochs, {@code corpus.store=disk}). Both persist so a restart resumes from the saved positions.
 */
public interface TrainerCorpus extends AutoCloseable {

    /** Applies one record of the features topic: adds or replaces the record of {@code id}; null deletes it. */
    void apply(String id, CrystalFeatures value) throws IOException;

    /** Makes everything applied durable, then records {@code positions} (next offset per partition). */
    void checkpoint(Map<TopicPartition, Long> positions) throws IOException;

    /** Saved positions (next offset to read) per partition. */
    Map<TopicPartition, Long> offsets();

    /** Records in the corpus. */
    long size();

    /** Records added or replaced since the last {@link #markTrained}. */
    long changesSinceTraining();

    /** Marks the corpus as trained on (resets the change counter, persisted). */
    void markTrained() throws IOException;

    /** Every record, one at a time (a disk corpus never holds them all). */
    void forEach(Consumer<FeaturizedCrystal> action) throws IOException;

    @Override
    void close() throws IOException;
}
