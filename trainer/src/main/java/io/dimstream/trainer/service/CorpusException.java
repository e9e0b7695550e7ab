package io.dimstream.trainer.service;

import io.dimstream.core.DimstreamException;

/**
 * A failure of the trainer's corpus store ({@link DiskCorpus}): codes {@code corpus.locked} (another
 * process holds the directory), {@code corpus.open} (cannot be opened: not a corpus, corrupt, no space),
 * {@code corpus.write}, {@code corpus.read}, {@code corpus.record} (a stored record that cannot be
 * decoded). The message names the directory and what failed; the RocksDB status is the cause.
 */
public class CorpusException extends DimstreamException {

    public static final String LOCKED = "corpus.locked";
    public static final String OPEN = "corpus.open";
    public static final String WRITE = "corpus.write";
    public static final String READ = "corpus.read";
    public static final String RECORD = "corpus.record";

    public CorpusException(String code, String message, Throwable cause) {
        super(code, message, cause);
    }

    @Override
    public String toString() {
        return code() + ": " + getMessage();
    }
}
