package io.dimstream.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** sha256 over format and payload: the identity of a structure's content for de-duplication. */
public final class ContentHash {
    private ContentHash() {
    }

    public static String of(String format, String payload) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(format.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(payload.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
