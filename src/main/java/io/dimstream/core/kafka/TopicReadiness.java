package io.dimstream.core.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that waits for topics to be usable: every topic exists, every partition has a leader, and
 * every leader answers a ListOffsets request. Freshly created partitions can be known to the controller
 * before their leader has opened them; a Kafka Streams app started into that window dies with "no
 * partitions available" (global stores) and an idempotent producer can stall on sequence errors. Services
 * call this after creating/verifying their topics and before starting Kafka Streams, consumers or producers.
 */
public final class TopicReadiness {

    private static final Logger log = LoggerFactory.getLogger(TopicReadiness.class);

    /** Default bound for services waiting at start. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private TopicReadiness() {
    }

    /** Thrown when the topics are not ready in time; {@link #code()} is {@code topics_not_ready}. */
    public static final class TopicsNotReadyException extends IllegalStateException {
        private final List<String> topics;

        TopicsNotReadyException(List<String> topics, String message, Throwable cause) {
            super(message, cause);
            this.topics = topics;
        }

        public String code() {
            return "topics_not_ready";
        }

        public List<String> topics() {
            return topics;
        }
    }

    /**
     * Blocks until every partition of {@code topics} has a leader that answers, polling every 100 ms.
     *
     * @throws TopicsNotReadyException when that does not happen within {@code timeout} (the message names
     *                                 the last reason: missing topic, partition without leader, no answer)
     */
    public static void await(Admin admin, Collection<String> topics, Duration timeout) {
        List<String> names = List.copyOf(new java.util.TreeSet<>(topics));
        if (names.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        String last = "no answer from the cluster";
        Throwable lastCause = null;
        boolean logged = false;
        while (true) {
            long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            try {
                Map<TopicPartition, OffsetSpec> req = new HashMap<>();
                String notReady = null;
                for (var d : admin.describeTopics(names).allTopicNames().get(left, TimeUnit.MILLISECONDS).values()) {
                    if (d.partitions().isEmpty()) {
                        notReady = "topic " + d.name() + " has no partitions yet";
                    }
                    for (var p : d.partitions()) {
                        if (p.leader() == null || p.leader().isEmpty()) {
                            notReady = d.name() + "-" + p.partition() + " has no leader yet";
                        }
                        req.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
                    }
                }
                if (notReady == null) {
                    admin.listOffsets(req).all().get(left, TimeUnit.MILLISECONDS);
                    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    if (logged) {
                        log.info("topics ready after {} ms: {}", ms, names);
                    } else {
                        log.debug("topics ready: {}", names);
                    }
                    return;
                }
                last = notReady;
                lastCause = null;
            } catch (ExecutionException e) {
                last = e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage();
                lastCause = e.getCause();
            } catch (TimeoutException e) {
                if (lastCause == null && last.startsWith("no answer")) {
                    lastCause = e; // keep an earlier, more telling reason when the deadline cut the last call
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TopicsNotReadyException(names, "interrupted while waiting for topics " + names, e);
            }
            if (System.nanoTime() >= deadline) {
                throw new TopicsNotReadyException(names, "topics " + names + " not ready within "
                        + timeout.toMillis() + " ms (every partition needs a leader): " + last, lastCause);
            }
            if (!logged) {
                log.info("waiting up to {} ms for topics to have leaders for all partitions ({}): {}",
                        timeout.toMillis(), last, names);
                logged = true;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TopicsNotReadyException(names, "interrupted while waiting for topics " + names, e);
            }
        }
    }
}
