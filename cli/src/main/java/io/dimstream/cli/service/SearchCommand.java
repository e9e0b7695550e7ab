package io.dimstream.cli.service;

import io.dimstream.core.DimstreamException;
import io.dimstream.search.SearchConfig;
import io.dimstream.search.SearchService;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dimstream search --config FILE}: the live similar-structure search service, its HTTP API and page. */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = {
            "Run the similar-structure search service: it follows crystals.embeddings (read_committed) and keeps an HNSW (Lucene) and an exact index of the serving model version's newest embedding per id.",
            "It switches to a new version when the streams app's backfill of it is complete, and serves a JSON API and a web page (127.0.0.1 by default).",
            "Config fields: see docs/search.md; any other key is passed to the Kafka clients. Stops cleanly on SIGTERM."
        })
public final class SearchCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--port", paramLabel = "PORT", description = "HTTP port (overrides http.port; 0 = any free port).")
    Integer port;

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "Interface to bind (overrides http.bind.address; default 127.0.0.1).")
    String bind;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Index directory (overrides data.dir).")
    String dataDir;

    @Override
    public Integer call() throws Exception {
        Map<String, String> o = kafka.overrides();
        if (port != null) {
            o.put(SearchConfig.HTTP_PORT, String.valueOf(port));
        }
        if (bind != null) {
            o.put(SearchConfig.HTTP_BIND, bind);
        }
        if (dataDir != null) {
            o.put(SearchConfig.DATA_DIR, dataDir);
        }
        SearchService svc;
        SearchConfig cfg;
        try {
            cfg = SearchConfig.load(kafka.config(), o);
            svc = new SearchService(cfg).start();
        } catch (DimstreamException e) {
            System.err.println("search: " + e.code() + ": " + e.getMessage());
            return 2;
        } catch (org.apache.kafka.common.config.ConfigException e) {
            System.err.println("search: bad config: " + e.getMessage());
            return 2;
        }
        System.out.println("search: page and API on " + svc.url());
        io.dimstream.search.SearchOps ops = new io.dimstream.search.SearchOps(svc, cfg,
                io.dimstream.core.ops.OpsConfig.from(cfg.originals(), io.dimstream.search.SearchOps.PORT));
        if (ops.server() != null) {
            System.out.println("search: metrics on " + ops.server().url("/metrics"));
        }
        Thread hook = new Thread(() -> {
            svc.close();
            ops.close();
        }, "dimstream-search-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        svc.await();
        Throwable failure = svc.failure();
        svc.close();
        ops.close();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
        if (failure != null) {
            System.err.println("search: stopped: " + failure);
            return 1;
        }
        return 0;
    }
}
