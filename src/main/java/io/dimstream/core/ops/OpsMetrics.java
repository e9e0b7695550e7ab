package io.dimstream.core.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meter registry of one dimstream service process: a Micrometer {@link PrometheusMeterRegistry}
 * with the common tag {@code service=<name>} and the JVM/process binders (memory, GC, threads, class
 * loading, CPU, uptime). Services register their own meters on {@link #registry()}; the
 * {@link OpsServer} serves {@link #scrape(String)} on {@code /metrics}.
 *
 * <p>All dimstream meters are named {@code dimstream.*} (Prometheus: {@code dimstream_*}); see
 * {@code docs/operations.md} for the list.
 */
public final class OpsMetrics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OpsMetrics.class);

    private final String service;
    private final PrometheusMeterRegistry registry;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    /** A registry for {@code service} (e.g. {@code streams}, {@code trainer}, {@code predictor}). */
    public OpsMetrics(String service) {
        this(service, true);
    }

    /**
     * @param service  value of the {@code service} tag on every meter
     * @param jvm      bind JVM and process meters (tests may leave them out)
     */
    public OpsMetrics(String service, boolean jvm) {
        if (service == null || service.isBlank()) {
            throw new IllegalArgumentException("service name is required");
        }
        this.service = service;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("service", service);
        if (jvm) {
            new JvmMemoryMetrics().bindTo(registry);
            JvmGcMetrics gc = new JvmGcMetrics();
            gc.bindTo(registry);
            closeables.add(gc);
            new JvmThreadMetrics().bindTo(registry);
            new ClassLoaderMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
        }
    }

    public String service() {
        return service;
    }

    /** The registry to add meters to. */
    public MeterRegistry registry() {
        return registry;
    }

    public PrometheusMeterRegistry prometheusRegistry() {
        return registry;
    }

    /** Prometheus text exposition (format 0.0.4) of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    /**
     * Exposition in the given content type ({@code text/plain; version=0.0.4} or
     * {@code application/openmetrics-text; version=1.0.0}).
     */
    public String scrape(String contentType) {
        return registry.scrape(contentType);
    }

    /** Closes {@code c} (e.g. a Kafka metrics binder or a lag monitor) when this registry closes. */
    public <T extends AutoCloseable> T closeWith(T c) {
        synchronized (closeables) {
            closeables.add(c);
        }
        return c;
    }

    @Override
    public void close() {
        List<AutoCloseable> toClose;
        synchronized (closeables) {
            toClose = new ArrayList<>(closeables);
            closeables.clear();
        }
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception e) {
                log.warn("closing {}: {}", toClose.get(i).getClass().getSimpleName(), e.toString());
            }
        }
        registry.close();
    }
}
