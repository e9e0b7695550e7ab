package io.dimstream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogSafeTest {

    @Test
    void controlCharactersBecomeVisibleEscapes() {
        String forged = "mp-1 dead letter x\n05:05:00.000 ERROR Fake - \u001b[31mred\u0000\r\t\u007f\u0085\u2028\u202e";
        String safe = LogSafe.escape(forged);
        assertEquals("mp-1 dead letter x\\n05:05:00.000 ERROR Fake - \\x1b[31mred\\x00\\r\\t\\x7f\\x85\\u2028\\u202e", safe);
        for (char c : safe.toCharArray()) {
            assertTrue(!LogSafe.needsEscape(c), "no control character left: " + (int) c);
        }
    }

    @Test
    void plainTextIsUnchangedAndLongTextIsCut() {
        String plain = "mp-1234/band_gap é 晶体 \\ \"quoted\"";
        assertSame(plain, LogSafe.escape(plain));
        assertEquals("null", LogSafe.escape(null));
        String longId = "a".repeat(LogSafe.MAX_CHARS + 100);
        assertEquals("a".repeat(LogSafe.MAX_CHARS) + "…(+100 chars)", LogSafe.escape(longId));
        assertEquals("\\n" + "b".repeat(LogSafe.MAX_CHARS - 1) + "…(+1 chars)", LogSafe.escape("\n" + "b".repeat(LogSafe.MAX_CHARS)),
                "the limit counts input chars");
    }
}
