package io.dimstream.cli.ops;

import io.dimstream.core.ops.ModelSigning;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dimstream keys generate}: an Ed25519 key pair for signing model records. */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = "Model signing keys (Ed25519).",
        subcommands = {KeysCommand.Generate.class})
public final class KeysCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = {
                "Generate an Ed25519 key pair: NAME.key (PKCS#8 PEM, private, mode 600) and NAME.pub (X.509 PEM).",
                "Sign models with `dimstream model sign --key NAME.key`.",
                "Give services the public key as model.signing.public.key.file=NAME.pub (or the printed base64 as model.signing.public.key)."
            })
    public static final class Generate implements Callable<Integer> {

        @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "Output folder (default: ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--name", paramLabel = "NAME", defaultValue = "model-signing",
                description = "File name stem (default: ${DEFAULT-VALUE}).")
        String name;

        @Option(names = "--force", description = "Overwrite existing key files.")
        boolean force;

        PrintStream stdout = System.out;
        PrintStream stderr = System.err;

        @Override
        public Integer call() throws IOException {
            Path priv = out.resolve(name + ".key");
            Path pub = out.resolve(name + ".pub");
            if (!force && (Files.exists(priv) || Files.exists(pub))) {
                stderr.println("keys.exists: " + priv + " or " + pub + " exists; use --force to overwrite");
                return 1;
            }
            Files.createDirectories(out);
            KeyPair kp = ModelSigning.generate();
            writePrivate(priv, ModelSigning.privateKeyPem(kp.getPrivate()));
            Files.writeString(pub, ModelSigning.publicKeyPem(kp.getPublic()), StandardCharsets.US_ASCII);
            stdout.println("private key: " + priv + " (keep secret)");
            stdout.println("public key:  " + pub);
            stdout.println("service config: model.signing.public.key=" + ModelSigning.publicKeyBase64(kp.getPublic()));
            return 0;
        }

        private static void writePrivate(Path file, String pem) throws IOException {
            Files.deleteIfExists(file);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            } catch (FileAlreadyExistsException e) {
                throw new IOException(file + " appeared while writing it", e);
            }
            Files.writeString(file, pem, StandardCharsets.US_ASCII);
        }
    }
}
