package io.dimstream.core.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumer lag of one consumer group (for a Kafka Streams app: its {@code application.id}), measured
 * from outside the consumer with the Admin API: for each partition the group has committed, the
 * last stable offset (read_committed) minus the committed offset. Published as gauges
 * {@code dimstream.consumer.lag{group,topic,partition}} and {@code dimstream.consumer.group.lag{group}},
 * refreshed every {@code interval} on a daemon thread.
 */
public final class ConsumerLagMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConsumerLagMonitor.class);
    public static final String LAG = "dimstream.consumer.lag";
    public static final String LAG_TOTAL = "dimstream.consumer.group.lag";

    private final Admin admin;
    private final String group;
    private final MeterRegistry registry;
    private final Duration timeout;
    private final Map<TopicPartition, AtomicLong> lag = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Meter> gauges = new ConcurrentHashMap<>();
    private final AtomicLong total = new AtomicLong(-1);
    private volatile String lastError = "";
    private ScheduledExecutorService scheduler;

    public ConsumerLagMonitor(Admin admin, String group, MeterRegistry registry, Duration timeout) {
        this.admin = admin;
        this.group = group;
        this.registry = registry;
        this.timeout = timeout;
        Gauge.builder(LAG_TOTAL, total, t -> t.get() < 0 ? Double.NaN : t.get())
                .description("Records the group has not yet consumed, summed over its partitions (NaN until known)")
                .tag("group", group).register(registry);
    }

    /** Refreshes every {@code interval} until closed; returns this. */
    public synchronized ConsumerLagMonitor start(Duration interval) {
        if (scheduler == null) {
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "lag-monitor-" + group);
                t.setDaemon(true);
                return t;
            });
            scheduler.scheduleWithFixedDelay(this::refreshQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            log.debug("lag refresh for {} failed: {}", group, e.toString());
        }
    }

    /**
     * Measures the lag now and updates the gauges.
     *
     * @return the total lag, or -1 when it could not be measured (see {@link #lastError()})
     */
    public long refresh() {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
            committed.forEach((tp, om) -> {
                if (om != null) {
                    specs.put(tp, OffsetSpec.latest());
                }
            });
            var ends = specs.isEmpty() ? Map.<TopicPartition, org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo>of()
                    : admin.listOffsets(specs, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            long sum = 0;
            for (var e : ends.entrySet()) {
                TopicPartition tp = e.getKey();
                long l = Math.max(0, e.getValue().offset() - committed.get(tp).offset());
                sum += l;
                lag.computeIfAbsent(tp, this::register).set(l);
            }
            for (TopicPartition gone : lag.keySet()) {
                if (!ends.containsKey(gone)) {
                    lag.remove(gone);
                    Meter m = gauges.remove(gone);
                    if (m != null) {
                        registry.remove(m);
                    }
                }
            }
            total.set(sum);
            lastError = "";
            return sum;
        } catch (ExecutionException e) {
            lastError = e.getCause().toString();
        } catch (TimeoutException e) {
            lastError = "no answer from Kafka within " + timeout.toMillis() + " ms";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            lastError = "interrupted";
        }
        return -1;
    }

    private AtomicLong register(TopicPartition tp) {
        AtomicLong v = new AtomicLong();
        gauges.put(tp, Gauge.builder(LAG, v, AtomicLong::get)
                .description("Records of this partition the group has not yet consumed")
                .tags(Tags.of("group", group, "topic", tp.topic(), "partition", String.valueOf(tp.partition())))
                .register(registry));
        return v;
    }

    /** Lag per partition at the last refresh. */
    public Map<TopicPartition, Long> lag() {
        Map<TopicPartition, Long> m = new HashMap<>();
        lag.forEach((tp, v) -> m.put(tp, v.get()));
        return m;
    }

    /** Total lag at the last successful refresh, or -1 before the first. */
    public long totalLag() {
        return total.get();
    }

    public String lastError() {
        return lastError;
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }
}
