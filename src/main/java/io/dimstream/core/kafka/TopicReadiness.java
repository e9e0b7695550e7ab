package io.dimstream.core.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * Waits until every partition of some topics answers a ListOffsets request from its leader. Freshly created
 * partitions can be known to the controller before the leader has opened them; producing into that window
 * makes an idempotent producer stall on sequence errors, so producers wait for this first.
 */
public final class TopicReadiness {
    private TopicReadiness() {
    }

    public static void await(Admin admin, Collection<String> topics, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                Map<TopicPartition, OffsetSpec> req = new HashMap<>();
                for (var d : admin.describeTopics(topics).allTopicNames().get().values()) {
                    for (var p : d.partitions()) {
                        if (p.leader() == null || p.leader().isEmpty()) {
                            throw new IllegalStateException(d.name() + "-" + p.partition() + " has no leader yet");
                        }
                        req.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
                    }
                }
                admin.listOffsets(req).all().get();
                return;
            } catch (ExecutionException | RuntimeException e) {
                last = new IllegalStateException(e instanceof ExecutionException ? e.getCause().getMessage() : e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("topics " + topics + " not ready after " + timeout.toSeconds() + " s: "
                + (last == null ? "" : last.getMessage()));
    }
}
