package io.dimstream.core.kafka;

import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What {@code models.registry} says about one model: the latest record of each version, as compaction
 * leaves it (records are keyed {@code name@version}, {@link ModelRecords#registryKey}). This is the
 * one place that turns registry records into a serving decision, shared by the streams apps, the trainer
 * and {@code dimstream model promote|rollback}:
 *
 * <ul>
 *   <li>a version's status is that of its latest record: republishing a version as {@code RETIRED}
 *       withdraws it (an explicit rollback), republishing it as {@code PROMOTED} restores it;</li>
 *   <li>the version to serve is the highest {@code PROMOTED} one that verifies; a serving version is
 *       left for a lower one only when its own latest record is no longer {@code PROMOTED} (no silent
 *       downgrade because an older record happens to come last).</li>
 * </ul>
 *
 * Not thread-safe.
 */
public final class RegistryState {

    private final String modelName;
    private final TreeMap<Integer, ModelVersion> latest = new TreeMap<>();

    public RegistryState(String modelName) {
        this.modelName = modelName;
    }

    public String modelName() {
        return modelName;
    }

    /**
     * Applies one registry record (in log order). Records of other models are ignored.
     *
     * @return true when it was a record of this model
     */
    public boolean apply(ModelVersion record) {
        if (record == null || !modelName.equals(record.getModelName())) {
            return false;
        }
        latest.put(record.getVersion(), record);
        return true;
    }

    /** A tombstone for {@code name@version}: the version leaves the registry. */
    public void remove(int version) {
        latest.remove(version);
    }

    /** The latest record of {@code version}. */
    public Optional<ModelVersion> get(int version) {
        return Optional.ofNullable(latest.get(version));
    }

    /** Whether the latest record of {@code version} is PROMOTED. */
    public boolean isPromoted(int version) {
        ModelVersion r = latest.get(version);
        return r != null && r.getStatus() == ModelStatus.PROMOTED;
    }

    /** Highest version with any record, or 0. */
    public int maxVersion() {
        return latest.isEmpty() ? 0 : latest.lastKey();
    }

    /** Latest records whose status is PROMOTED, highest version first. */
    public List<ModelVersion> promotedDescending() {
        List<ModelVersion> l = new ArrayList<>();
        for (ModelVersion r : latest.descendingMap().values()) {
            if (r.getStatus() == ModelStatus.PROMOTED) {
                l.add(r);
            }
        }
        return l;
    }

    /** Every latest record, lowest version first. */
    public List<ModelVersion> all() {
        return new ArrayList<>(latest.values());
    }

    public int size() {
        return latest.size();
    }

    /**
     * The record to serve, given the one serving now: the highest PROMOTED version that {@code usable}
     * accepts, but never lower than {@code servingVersion} while that version is still PROMOTED.
     *
     * @param servingVersion the serving version, or 0 when none serves
     * @param usable         whether a record can be served (verification, an earlier failed load, ...)
     * @return the record to serve; empty when nothing qualifies (keep what serves)
     */
    public Optional<ModelVersion> choose(int servingVersion, java.util.function.Predicate<ModelVersion> usable) {
        boolean servingWithdrawn = servingVersion > 0 && !isPromoted(servingVersion);
        for (ModelVersion r : promotedDescending()) {
            if (servingVersion > 0 && !servingWithdrawn && r.getVersion() < servingVersion) {
                return Optional.empty();
            }
            if (usable.test(r)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /** Versions above {@code version} whose latest record is PROMOTED (what a rollback to it withdraws). */
    public List<ModelVersion> promotedAbove(int version) {
        List<ModelVersion> l = new ArrayList<>();
        for (ModelVersion r : latest.tailMap(version, false).values()) {
            if (r.getStatus() == ModelStatus.PROMOTED) {
                l.add(r);
            }
        }
        l.sort(Comparator.comparingInt(ModelVersion::getVersion));
        return l;
    }
}
