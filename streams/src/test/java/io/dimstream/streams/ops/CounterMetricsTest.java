package io.dimstream.streams.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dimstream.streams.Counters;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CounterMetricsTest {

    @Test
    void counterIncrementsBecomeTaggedMeters() {
        SimpleMeterRegistry r = new SimpleMeterRegistry();
        Counters c = new Counters();
        c.addListener(new CounterMetrics(r, Tags.of("model", "m")));
        c.inc("raw.in");
        c.inc("raw.in");
        c.inc("features.out");
        c.inc("dlq.parse.cif.missing_cell");
        c.inc("dlq.featurize.featurize.too_many_sites");
        c.add("embeddings.out.live", 7);
        c.add("embeddings.out.live", 3);
        c.add("embeddings.out.backfill", 64);
        c.add("embed.inference_nanos", 4_000_000);
        c.add("embed.inference_nanos", 6_000_000);
        c.inc("models.rejected.signature_invalid");
        c.inc("models.rejected");
        c.inc("models.swaps");
        c.inc("something.new");

        assertEquals(2, r.get("dimstream.records.in").tags("stage", "featurize", "model", "m").counter().count());
        assertEquals(0, r.get("dimstream.records.in").tags("stage", "embed").counter().count());
        assertEquals(1, r.get("dimstream.records.out").tags("stage", "featurize").counter().count());
        assertEquals(1, r.get("dimstream.records.dlq").tags("stage", "parse", "reason", "cif.missing_cell").counter().count());
        assertEquals(1, r.get("dimstream.records.dlq").tags("stage", "featurize", "reason", "featurize.too_many_sites")
                .counter().count());
        assertEquals(10, r.get("dimstream.records.out").tags("stage", "embed", "mode", "live").counter().count());
        assertEquals(64, r.get("dimstream.records.out").tags("stage", "embed", "mode", "backfill").counter().count());
        var live = r.get("dimstream.embed.batch.size").tags("mode", "live").summary();
        assertEquals(2, live.count());
        assertEquals(5.0, live.mean(), 1e-9);
        var inf = r.get("dimstream.inference.latency").timer();
        assertEquals(2, inf.count());
        assertEquals(10.0, inf.totalTime(TimeUnit.MILLISECONDS), 1e-9);
        assertEquals(1, r.get("dimstream.model.rejections").tags("reason", "signature_invalid").counter().count());
        assertEquals(1, r.find("dimstream.model.rejections").counters().size(), "the bare total is not a reason");
        assertEquals(1, r.get("dimstream.model.swaps").counter().count());
        assertEquals(1, r.get("dimstream.streams.events").tags("name", "something.new").counter().count());
        assertEquals(2, c.get("raw.in"), "the app's own counters are unchanged");
    }
}
