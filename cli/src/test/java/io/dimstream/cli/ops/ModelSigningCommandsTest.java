package io.dimstream.cli.ops;

import io.dimstream.core.Sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.cli.Main;
import io.dimstream.core.ops.ModelVerifier;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ModelSigningCommandsTest {

    @TempDir
    Path dir;

    record Out(int exit, String out, String err) {
    }

    private Out run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl = Main.commandLine();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        // route the leaf commands' streams into the buffers
        for (CommandLine sub : cl.getSubcommands().values()) {
            for (CommandLine leaf : sub.getSubcommands().values()) {
                Object c = leaf.getCommand();
                if (c instanceof KeysCommand.Generate g) {
                    g.stdout = o;
                    g.stderr = e;
                } else if (c instanceof ModelCommand.Sign s) {
                    s.stdout = o;
                    s.stderr = e;
                } else if (c instanceof ModelCommand.Verify v) {
                    v.stdout = o;
                    v.stderr = e;
                }
            }
        }
        int exit = cl.execute(args);
        return new Out(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path modelDir(String name, byte[] onnx) throws Exception {
        Path m = dir.resolve(name);
        Files.createDirectories(m);
        Files.write(m.resolve("model.onnx"), onnx);
        Files.writeString(m.resolve("model.json"), "{\"name\":\"sitenet-dim\",\"version\":3,\"onnxSha256\":\""
                + Sha256.hex(onnx) + "\"}");
        return m;
    }

    @Test
    void generateSignVerifyAndRefuseTamperedOrForged() throws Exception {
        Path keys = dir.resolve("keys");
        Out g = run("keys", "generate", "--out", keys.toString());
        assertEquals(0, g.exit(), g.err());
        assertTrue(g.out().contains("model.signing.public.key="), g.out());
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(keys.resolve("model-signing.key")));
        assertEquals(1, run("keys", "generate", "--out", keys.toString()).exit(), "no silent overwrite");
        assertEquals(0, run("keys", "generate", "--out", keys.toString(), "--name", "other").exit());

        byte[] onnx = new byte[5000];
        new Random(7).nextBytes(onnx);
        Path m = modelDir("m", onnx);
        Out s = run("model", "sign", "--model", m.toString(), "--key", keys.resolve("model-signing.key").toString());
        assertEquals(0, s.exit(), s.err());
        assertTrue(Files.isRegularFile(m.resolve("model.onnx.sig")));
        Out v = run("model", "verify", "--model", m.toString(), "--public-key", keys.resolve("model-signing.pub").toString());
        assertEquals(0, v.exit(), v.err());
        assertTrue(v.out().startsWith("OK "), v.out());

        // base64 key from the generate output works too
        String b64 = g.out().lines().filter(l -> l.startsWith("service config: ")).findFirst().orElseThrow()
                .substring("service config: model.signing.public.key=".length());
        assertEquals(0, run("model", "verify", "--model", m.toString(), "--public-key", b64).exit());

        // wrong key = forged signature
        Out forged = run("model", "verify", "--model", m.toString(), "--public-key", keys.resolve("other.pub").toString());
        assertEquals(1, forged.exit());
        assertTrue(forged.err().startsWith("model.signature_invalid: "), forged.err());

        // tampered bytes: verify refuses on sha256, sign refuses to sign
        byte[] tampered = onnx.clone();
        tampered[100] ^= 1;
        Files.write(m.resolve("model.onnx"), tampered);
        Out t = run("model", "verify", "--model", m.toString(), "--public-key", keys.resolve("model-signing.pub").toString());
        assertEquals(1, t.exit());
        assertTrue(t.err().startsWith("model.sha256_mismatch: "), t.err());
        Out ts = run("model", "sign", "--model", m.toString(), "--key", keys.resolve("model-signing.key").toString());
        assertEquals(1, ts.exit());
        assertTrue(ts.err().startsWith("model.sha256_mismatch: "), ts.err());

        // unsigned model under a configured key
        Path u = modelDir("unsigned", onnx);
        Out un = run("model", "verify", "--model", u.toString(), "--public-key", keys.resolve("model-signing.pub").toString());
        assertEquals(1, un.exit());
        assertTrue(un.err().startsWith("model.signature_missing: "), un.err());

        Out bad = run("model", "sign", "--model", u.toString(), "--key", keys.resolve("model-signing.pub").toString());
        assertEquals(1, bad.exit());
        assertTrue(bad.err().startsWith("keys.invalid: "), bad.err());
    }
}
