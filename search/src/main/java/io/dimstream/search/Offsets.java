package io.dimstream.search;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/** Consumer positions as checkpoint text: {@code topic:partition=offset;...}. */
final class Offsets {

    private Offsets() {
    }

    static String format(Map<TopicPartition, Long> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((tp, o) -> sb.append(sb.length() == 0 ? "" : ";").append(tp.topic()).append(':').append(tp.partition())
                .append('=').append(o));
        return sb.toString();
    }

    static Map<TopicPartition, Long> parse(String s) {
        Map<TopicPartition, Long> m = new LinkedHashMap<>();
        if (s == null || s.isBlank()) {
            return m;
        }
        for (String e : s.split(";")) {
            int colon = e.lastIndexOf(':');
            int eq = e.lastIndexOf('=');
            m.put(new TopicPartition(e.substring(0, colon), Integer.parseInt(e.substring(colon + 1, eq))),
                    Long.parseLong(e.substring(eq + 1)));
        }
        return m;
    }
}
