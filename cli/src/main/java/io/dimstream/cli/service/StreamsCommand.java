package io.dimstream.cli.service;

import io.dimstream.streams.StreamsAppConfig;
import io.dimstream.streams.StreamsMain;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code dimstream streams --config FILE}: the Kafka Streams app (raw → features → embeddings). */
@Command(name = "streams", mixinStandardHelpOptions = true,
        description = {
            "Run the streams app: CIFs in, features and embeddings out, exactly-once.",
            "crystals.raw -> parse + featurize -> crystals.features (or crystals.dlq).",
            "crystals.features -> batched ONNX inference -> crystals.embeddings.",
            "It follows models.registry and hot-swaps verified models, backfilling the corpus on promotion; it stops cleanly on SIGTERM.",
            "Config fields: see docs/streaming.md; any other key is passed to Kafka Streams and its clients."
        })
public final class StreamsCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Override
    public Integer call() throws Exception {
        StreamsAppConfig cfg = StreamsAppConfig.load(kafka.config(), kafka.overrides());
        // no large-stack thread needed: OnnxEncoder runs ONNX Runtime on its own large-stack threads
        return StreamsMain.run(cfg);
    }
}
