package io.dimstream.core;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * The one held-out split rule of the product: a structure is held out when the CRC32 of its UTF-8 id,
 * mod 10,000, is below fraction x 10,000. The same id always lands on the same side, whatever else is in
 * the set, so the label ingester (which withholds these labels) and the predictor's held-out evaluation
 * (which scores on them) agree without sharing any state.
 */
public final class HeldOutSplit {
    private HeldOutSplit() {
    }

    public static boolean isHeldOut(String id, double fraction) {
        CRC32 crc = new CRC32();
        crc.update(id.getBytes(StandardCharsets.UTF_8));
        return (crc.getValue() % 10_000) < Math.round(fraction * 10_000);
    }
}
