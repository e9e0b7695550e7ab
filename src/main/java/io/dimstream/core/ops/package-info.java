/**
 * Operations support shared by every dimstream service: a Prometheus meter registry
 * ({@link io.dimstream.core.ops.OpsMetrics}), a small HTTP server for {@code /metrics},
 * {@code /health} and {@code /ready} ({@link io.dimstream.core.ops.OpsServer},
 * {@link io.dimstream.core.ops.HealthChecks}), Kafka client metric binders and consumer lag
 * ({@link io.dimstream.core.ops.KafkaOps}, {@link io.dimstream.core.ops.ConsumerLagMonitor}), and
 * model record verification: sha256, size cap and optional Ed25519 signature
 * ({@link io.dimstream.core.ops.ModelVerifier}, {@link io.dimstream.core.ops.ModelSigning}).
 */
package io.dimstream.core.ops;
