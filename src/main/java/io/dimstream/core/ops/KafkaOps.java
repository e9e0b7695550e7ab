package io.dimstream.core.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * Kafka helpers for ops: bind a client's own metrics (Micrometer {@link KafkaClientMetrics}, exposed
 * as {@code kafka_producer_*}, {@code kafka_consumer_*}, {@code kafka_admin_client_*}) and a readiness
 * check that the cluster answers. Kafka Streams apps bind {@code KafkaStreamsMetrics} the same way
 * (streams module).
 */
public final class KafkaOps {

    private KafkaOps() {
    }

    /** Binds a producer's metrics; the returned binder is closed with {@code metrics}. */
    public static KafkaClientMetrics bind(OpsMetrics metrics, Producer<?, ?> producer, Tag... tags) {
        return bindTo(metrics, new KafkaClientMetrics(producer, List.of(tags)), metrics.registry());
    }

    /** Binds a consumer's metrics (incl. {@code kafka_consumer_fetch_manager_records_lag*}). */
    public static KafkaClientMetrics bind(OpsMetrics metrics, Consumer<?, ?> consumer, Tag... tags) {
        return bindTo(metrics, new KafkaClientMetrics(consumer, List.of(tags)), metrics.registry());
    }

    public static KafkaClientMetrics bind(OpsMetrics metrics, org.apache.kafka.clients.admin.AdminClient admin, Tag... tags) {
        return bindTo(metrics, new KafkaClientMetrics(admin, List.of(tags)), metrics.registry());
    }

    private static KafkaClientMetrics bindTo(OpsMetrics metrics, KafkaClientMetrics m, MeterRegistry r) {
        m.bindTo(r);
        return metrics.closeWith(m);
    }

    /**
     * A readiness check: UP when {@code describeCluster} answers within {@code timeout} (the answer is
     * cached for {@code cacheFor} so scrapes don't hammer the cluster), DOWN with the reason otherwise.
     */
    public static HealthCheck clusterCheck(Admin admin, Duration timeout, Duration cacheFor) {
        return new HealthCheck() {
            private CheckResult last;
            private long lastAt;

            @Override
            public synchronized CheckResult check() {
                long now = System.nanoTime();
                if (last != null && now - lastAt < cacheFor.toNanos()) {
                    return last;
                }
                last = probe(admin, timeout);
                lastAt = System.nanoTime();
                return last;
            }
        };
    }

    /**
     * A liveness check on the connection to Kafka: UP while {@code cluster} is UP or has been failing for
     * at most {@code grace}; DOWN (with how long) once it has failed continuously for longer. A service
     * that lost its brokers is then restarted by an orchestrator instead of answering 200 on
     * {@code /health} forever; short broker restarts and elections stay within the grace period.
     *
     * @param nanoClock the clock (System::nanoTime; tests pass their own)
     */
    public static HealthCheck connectionLiveness(HealthCheck cluster, Duration grace, java.util.function.LongSupplier nanoClock) {
        return new HealthCheck() {
            private long downSince = -1;

            @Override
            public synchronized CheckResult check() {
                CheckResult c = cluster.check();
                long now = nanoClock.getAsLong();
                if (c.state() == CheckResult.State.UP) {
                    downSince = -1;
                    return CheckResult.up("Kafka reachable");
                }
                if (downSince < 0) {
                    downSince = now;
                }
                long secs = Duration.ofNanos(now - downSince).toSeconds();
                String detail = "Kafka unreachable for " + secs + " s (grace " + grace.toSeconds() + " s): " + c.detail();
                return now - downSince > grace.toNanos() ? CheckResult.down(detail) : CheckResult.up(detail);
            }
        };
    }

    static CheckResult probe(Admin admin, Duration timeout) {
        try {
            var cluster = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()));
            int nodes = cluster.nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
            String id = cluster.clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return nodes > 0 ? CheckResult.up("cluster " + id + ", " + nodes + " broker(s)")
                    : CheckResult.down("cluster " + id + " reports no brokers");
        } catch (TimeoutException e) {
            return CheckResult.down("no answer from Kafka within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            return CheckResult.down("Kafka: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CheckResult.down("interrupted");
        }
    }
}
