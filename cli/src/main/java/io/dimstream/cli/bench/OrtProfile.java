package io.dimstream.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Summarises an ONNX Runtime profiler trace (Chrome trace JSON): kernel time per op type. */
final class OrtProfile {
    private OrtProfile() {}

    /** Lines "op: ms (share %), calls", the {@code top} op types by total kernel time, then the total. */
    static List<String> summarize(Path trace, int top) throws IOException {
        JsonNode events = new ObjectMapper().readTree(trace.toFile());
        Map<String, long[]> byOp = new HashMap<>();
        long total = 0;
        for (JsonNode e : events) {
            if (!"Node".equals(e.path("cat").asText()) || !e.path("name").asText().endsWith("_kernel_time")) {
                continue;
            }
            String op = e.path("args").path("op_name").asText("?");
            long dur = e.path("dur").asLong();
            long[] a = byOp.computeIfAbsent(op, k -> new long[2]);
            a[0] += dur;
            a[1]++;
            total += dur;
        }
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(byOp.entrySet());
        rows.sort((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.min(top, rows.size()); i++) {
            long[] a = rows.get(i).getValue();
            out.add(String.format(Locale.ROOT, "%-24s %9.1f ms  %5.1f %%  %7d calls", rows.get(i).getKey(), a[0] / 1e3,
                    100.0 * a[0] / Math.max(1, total), a[1]));
        }
        out.add(String.format(Locale.ROOT, "%-24s %9.1f ms (kernel time summed over threads' calls)", "total", total / 1e3));
        return out;
    }
}
