package io.dimstream.trainer.service;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "Only one trainer per model name": every trainer joins the consumer group
 * {@code dimstream-trainer-<model>} on a one-partition lease topic; the member that is assigned the
 * partition holds the lease. A background thread keeps polling (membership alive). Losing the lease
 * (crash, network) hands it to another member after the session timeout. Publishing additionally
 * goes through a transactional producer with a per-model transactional id, so a stale leader is
 * fenced by the broker even if it still believes it leads.
 */
final class LeaseKeeper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final AtomicBoolean leader = new AtomicBoolean();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    LeaseKeeper(Map<String, Object> clientProps, String topic, String modelName) {
        Map<String, Object> p = new java.util.HashMap<>(clientProps);
        p.keySet().removeIf(k -> !ConsumerConfig.configNames().contains(k));
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "dimstream-trainer-" + modelName);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        p.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000);
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                if (!partitions.isEmpty() && leader.getAndSet(false)) {
                    log.info("trainer lease for {} lost", modelName);
                }
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                if (!partitions.isEmpty() && !leader.getAndSet(true)) {
                    log.info("trainer lease for {} acquired", modelName);
                }
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                onPartitionsRevoked(partitions);
            }
        });
        this.thread = new Thread(this::loop, "trainer-lease-" + modelName);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            while (running.get()) {
                consumer.poll(Duration.ofMillis(500));
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.warn("trainer lease consumer failed: {}", e.toString());
            leader.set(false);
        } finally {
            leader.set(false);
            consumer.close(Duration.ofSeconds(5));
        }
    }

    boolean isLeader() {
        return leader.get();
    }

    boolean awaitLeader(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!leader.get() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return leader.get();
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
