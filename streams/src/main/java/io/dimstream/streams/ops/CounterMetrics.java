package io.dimstream.streams.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Turns the streams app's named counter increments ({@code io.dimstream.streams.Counters}, names like
 * {@code dlq.parse.cif.missing_cell}) into tagged Micrometer meters, as each increment happens:
 *
 * <table>
 *   <caption>mapping</caption>
 *   <tr><th>counter</th><th>meter (Prometheus)</th></tr>
 *   <tr><td>raw.in / embed.in</td><td>dimstream_records_in_total{stage=featurize|embed}</td></tr>
 *   <tr><td>features.out</td><td>dimstream_records_out_total{stage=featurize,mode=live}</td></tr>
 *   <tr><td>embeddings.out.live|backfill</td><td>dimstream_records_out_total{stage=embed,mode=...} and one
 *       dimstream_embed_batch_size sample per batch</td></tr>
 *   <tr><td>dlq.STAGE.REASON</td><td>dimstream_records_dlq_total{stage,reason}</td></tr>
 *   <tr><td>embed.deferred_to_backfill</td><td>dimstream_records_deferred_total{stage=embed}</td></tr>
 *   <tr><td>embed.batches</td><td>dimstream_embed_batches_total</td></tr>
 *   <tr><td>embed.inference_nanos</td><td>dimstream_inference_latency_seconds (timer, one sample per batch)</td></tr>
 *   <tr><td>backfill.embedded</td><td>dimstream_backfill_records_total</td></tr>
 *   <tr><td>backfill.scanned</td><td>dimstream_backfill_scanned_total</td></tr>
 *   <tr><td>models.swaps</td><td>dimstream_model_swaps_total</td></tr>
 *   <tr><td>models.rejected.REASON</td><td>dimstream_model_rejections_total{reason}</td></tr>
 *   <tr><td>models.ignored.REASON</td><td>dimstream_model_ignored_total{reason}</td></tr>
 *   <tr><td>anything else</td><td>dimstream_streams_events_total{name}</td></tr>
 * </table>
 */
public final class CounterMetrics implements BiConsumer<String, Long> {

    public static final String RECORDS_IN = "dimstream.records.in";
    public static final String RECORDS_OUT = "dimstream.records.out";
    public static final String RECORDS_DLQ = "dimstream.records.dlq";
    public static final String RECORDS_DEFERRED = "dimstream.records.deferred";
    public static final String BATCHES = "dimstream.embed.batches";
    public static final String BATCH_SIZE = "dimstream.embed.batch.size";
    public static final String INFERENCE = "dimstream.inference.latency";
    public static final String BACKFILL_RECORDS = "dimstream.backfill.records";
    public static final String BACKFILL_SCANNED = "dimstream.backfill.scanned";
    public static final String SWAPS = "dimstream.model.swaps";
    public static final String REJECTIONS = "dimstream.model.rejections";
    public static final String IGNORED = "dimstream.model.ignored";
    public static final String OTHER = "dimstream.streams.events";

    private final MeterRegistry registry;
    private final Tags common;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final DistributionSummary batchLive;
    private final DistributionSummary batchBackfill;
    private final Timer inference;

    /** @param common tags put on every meter (e.g. {@code model=sitenet-dim}) */
    public CounterMetrics(MeterRegistry registry, Tags common) {
        this.registry = registry;
        this.common = common;
        this.batchLive = batchSummary("live");
        this.batchBackfill = batchSummary("backfill");
        this.inference = Timer.builder(INFERENCE).description("Wall time of one batched encoder call")
                .tags(common).publishPercentiles(0.5, 0.99).publishPercentileHistogram(false)
                .distributionStatisticExpiry(Duration.ofMinutes(2)).register(registry);
        // the meters operators look for exist (at 0) from the start
        counter(RECORDS_IN, Tags.of("stage", "featurize"), "Records read per stage");
        counter(RECORDS_IN, Tags.of("stage", "embed"), "Records read per stage");
        counter(RECORDS_OUT, Tags.of("stage", "featurize", "mode", "live"), "Records written per stage");
        counter(RECORDS_OUT, Tags.of("stage", "embed", "mode", "live"), "Records written per stage");
        counter(RECORDS_OUT, Tags.of("stage", "embed", "mode", "backfill"), "Records written per stage");
        counter(SWAPS, Tags.empty(), "Model versions swapped in");
    }

    private DistributionSummary batchSummary(String mode) {
        return DistributionSummary.builder(BATCH_SIZE).description("Records per inference batch")
                .tags(common).tag("mode", mode).publishPercentiles(0.5, 0.99)
                .distributionStatisticExpiry(Duration.ofMinutes(2)).register(registry);
    }

    private Counter counter(String name, Tags tags, String description) {
        String key = name + tags;
        return counters.computeIfAbsent(key, k -> Counter.builder(name).description(description)
                .tags(common).tags(tags).register(registry));
    }

    @Override
    public void accept(String name, Long delta) {
        long n = delta == null ? 0 : delta;
        switch (name) {
            case "raw.in" -> counter(RECORDS_IN, Tags.of("stage", "featurize"), "Records read per stage").increment(n);
            case "embed.in" -> counter(RECORDS_IN, Tags.of("stage", "embed"), "Records read per stage").increment(n);
            case "features.out" -> counter(RECORDS_OUT, Tags.of("stage", "featurize", "mode", "live"),
                    "Records written per stage").increment(n);
            case "embeddings.out.live" -> {
                counter(RECORDS_OUT, Tags.of("stage", "embed", "mode", "live"), "Records written per stage").increment(n);
                batchLive.record(n);
            }
            case "embeddings.out.backfill" -> {
                counter(RECORDS_OUT, Tags.of("stage", "embed", "mode", "backfill"), "Records written per stage")
                        .increment(n);
                batchBackfill.record(n);
            }
            case "embed.deferred_to_backfill" -> counter(RECORDS_DEFERRED, Tags.of("stage", "embed"),
                    "Records left to the backfill (no model yet, buffer full)").increment(n);
            case "embed.batches" -> counter(BATCHES, Tags.empty(), "Inference batches run").increment(n);
            case "embed.inference_nanos" -> inference.record(n, TimeUnit.NANOSECONDS);
            case "backfill.embedded" -> counter(BACKFILL_RECORDS, Tags.empty(),
                    "Corpus records re-embedded by backfills").increment(n);
            case "backfill.scanned" -> counter(BACKFILL_SCANNED, Tags.empty(),
                    "Corpus records scanned by backfills (re-embedded or already embedded)").increment(n);
            case "models.swaps" -> counter(SWAPS, Tags.empty(), "Model versions swapped in").increment(n);
            case "models.rejected" -> { } // the total of models.rejected.<reason>
            default -> other(name, n);
        }
    }

    private void other(String name, long n) {
        if (name.startsWith("dlq.")) {
            String rest = name.substring(4);
            int dot = rest.indexOf('.');
            String stage = dot < 0 ? rest : rest.substring(0, dot);
            String reason = dot < 0 ? "unknown" : rest.substring(dot + 1);
            counter(RECORDS_DLQ, Tags.of("stage", stage, "reason", reason), "Records sent to the dead-letter topic")
                    .increment(n);
        } else if (name.startsWith("models.rejected.")) {
            counter(REJECTIONS, Tags.of("reason", name.substring("models.rejected.".length())),
                    "Model records refused (the serving model stays)").increment(n);
        } else if (name.startsWith("models.ignored.")) {
            counter(IGNORED, Tags.of("reason", name.substring("models.ignored.".length())),
                    "Model records not served (e.g. not PROMOTED)").increment(n);
        } else {
            counter(OTHER, Tags.of("name", name), "Other streams app events").increment(n);
        }
    }
}
