package io.dimstream.cli.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dimstream.core.Sha256;
import io.dimstream.core.ops.ModelSigning;
import io.dimstream.core.ops.ModelVerificationException;
import io.dimstream.core.ops.ModelVerifier;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dimstream model sign|verify}: detached Ed25519 signatures of a model directory's
 * {@code model.onnx} ({@code model.onnx.sig}, base64), which the trainer attaches to the registry
 * record it publishes and every loader checks when it has a public key configured.
 */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = "Model directory tools: sign and verify (Ed25519 over model.onnx); show or annotate the model card; "
                + "upgrade a model to this build's featurizer version; promote or roll back a version on the registry.",
        subcommands = {ModelCommand.Sign.class, ModelCommand.Verify.class, ModelCommand.Card.class,
            ModelCommand.Upgrade.class, ModelCommand.Promote.class, ModelCommand.Rollback.class})
public final class ModelCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** model.onnx of a model directory (or the file itself). */
    static Path onnxOf(Path model) {
        return Files.isDirectory(model) ? model.resolve("model.onnx") : model;
    }

    /** The sha256 that model.json declares, or null when there is no model.json next to the ONNX file. */
    static String declaredSha256(Path onnx) throws IOException {
        Path json = onnx.resolveSibling("model.json");
        if (!Files.isRegularFile(json)) {
            return null;
        }
        JsonNode n = new ObjectMapper().readTree(json.toFile()).get("onnxSha256");
        return n == null || n.isNull() ? null : n.asText();
    }

    @Command(name = "sign", mixinStandardHelpOptions = true,
            description = {"Sign DIR/model.onnx with an Ed25519 private key and write DIR/model.onnx.sig.",
                "The key is a PKCS#8 PEM file from `dimstream keys generate`.",
                "Refuses when model.onnx does not match the sha256 in model.json."})
    public static final class Sign implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (or a .onnx file).")
        Path model;

        @Option(names = "--key", required = true, paramLabel = "FILE", description = "Private key PEM file.")
        Path key;

        @Option(names = "--out", paramLabel = "FILE", description = "Signature file (default: <model.onnx>.sig).")
        Path out;

        PrintStream stdout = System.out;
        PrintStream stderr = System.err;

        @Override
        public Integer call() throws IOException {
            Path onnx = onnxOf(model);
            byte[] bytes;
            PrivateKey pk;
            try {
                bytes = Files.readAllBytes(onnx);
                pk = ModelSigning.readPrivateKey(key);
            } catch (NoSuchFileException e) {
                stderr.println("model.not_found: " + e.getFile() + " does not exist");
                return 1;
            } catch (IllegalArgumentException e) {
                stderr.println("keys.invalid: " + key + ": " + e.getMessage());
                return 1;
            }
            String sha = Sha256.hex(bytes);
            String declared = declaredSha256(onnx);
            if (declared != null) {
                try {
                    ModelVerifier.checkSha256(bytes, declared);
                } catch (ModelVerificationException e) {
                    stderr.println(e.code() + ": " + onnx + ": " + e.getMessage() + " (model.json); not signing");
                    return 1;
                }
            }
            Path sigFile = out != null ? out : onnx.resolveSibling(onnx.getFileName() + ".sig");
            ModelSigning.writeSignature(sigFile, ModelSigning.sign(pk, bytes));
            stdout.println("signed " + onnx + " (" + bytes.length + " bytes, sha256 " + sha + ")");
            stdout.println("signature: " + sigFile);
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Verify DIR/model.onnx as a service would before loading it.",
                "Checks the size cap, the sha256 in model.json and the Ed25519 signature in DIR/model.onnx.sig.",
                "Exit 0 = accepted, 1 = refused (reason on stderr)."})
    public static final class Verify implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (or a .onnx file).")
        Path model;

        @Option(names = "--public-key", required = true, paramLabel = "FILE|BASE64",
                description = "Public key: a PEM file, or the base64 printed by `keys generate`.")
        String publicKey;

        @Option(names = "--signature", paramLabel = "FILE", description = "Signature file (default: <model.onnx>.sig).")
        Path signature;

        @Option(names = "--max-bytes", paramLabel = "N", defaultValue = "67108864",
                description = "Size cap (default: ${DEFAULT-VALUE}).")
        long maxBytes;

        PrintStream stdout = System.out;
        PrintStream stderr = System.err;

        @Override
        public Integer call() throws IOException {
            Path onnx = onnxOf(model);
            PublicKey key;
            try {
                Path kf = Path.of(publicKey);
                key = Files.isRegularFile(kf) ? ModelSigning.readPublicKey(kf) : ModelSigning.parsePublicKey(publicKey);
            } catch (IllegalArgumentException e) {
                stderr.println("keys.invalid: " + e.getMessage());
                return 1;
            }
            Path sigFile = signature != null ? signature : onnx.resolveSibling(onnx.getFileName() + ".sig");
            byte[] bytes;
            byte[] sig;
            try {
                bytes = Files.readAllBytes(onnx);
                sig = Files.exists(sigFile) ? ModelSigning.readSignature(sigFile) : null;
            } catch (NoSuchFileException e) {
                stderr.println("model.not_found: " + e.getFile() + " does not exist");
                return 1;
            }
            String declared = declaredSha256(onnx);
            ModelVerifier v = new ModelVerifier(maxBytes, key, true);
            try {
                v.verify(bytes, declared != null ? declared : Sha256.hex(bytes), sig);
            } catch (ModelVerificationException e) {
                stderr.println(e.code() + ": " + onnx + ": " + e.getMessage());
                return 1;
            }
            stdout.println("OK " + onnx + ": sha256 " + (declared != null ? "matches model.json" : "(no model.json)")
                    + ", Ed25519 signature valid");
            return 0;
        }
    }

    @Command(name = "card", mixinStandardHelpOptions = true,
            description = {"Print DIR/MODEL_CARD.md.",
                "With --evaluation, set the card's evaluation text (card.json and MODEL_CARD.md) from a Markdown file."})
    public static final class Card implements Callable<Integer> {
        @picocli.CommandLine.Parameters(index = "0", paramLabel = "DIR", description = "Model directory.")
        Path model;

        @Option(names = "--evaluation", paramLabel = "FILE.md", description = "Markdown text for the evaluation field.")
        Path evaluation;

        PrintStream stdout = System.out;
        PrintStream stderr = System.err;

        @Override
        public Integer call() throws IOException {
            if (!Files.isRegularFile(model.resolve(io.dimstream.trainer.ModelCard.JSON_FILE))) {
                stderr.println("model.card_not_found: " + model + " has no " + io.dimstream.trainer.ModelCard.JSON_FILE
                        + " (cards are written by `dimstream pretrain`)");
                return 1;
            }
            java.util.Map<String, Object> card;
            if (evaluation != null) {
                if (!Files.isRegularFile(evaluation)) {
                    stderr.println("model.evaluation_not_found: " + evaluation + " does not exist");
                    return 1;
                }
                card = io.dimstream.trainer.ModelCard.setEvaluation(model, Files.readString(evaluation));
                stderr.println("model card: evaluation of " + card.get("name") + " v" + card.get("version")
                        + " set from " + evaluation + " (" + model.resolve(io.dimstream.trainer.ModelCard.MD_FILE) + ")");
                return 0;
            }
            card = io.dimstream.trainer.ModelCard.read(model);
            stdout.print(io.dimstream.trainer.ModelCard.markdown(card));
            return 0;
        }
    }

    /** {@code dimstream model upgrade DIR [--out DIR2]}: re-export for this build's featurizer version. */
    @Command(name = "upgrade", mixinStandardHelpOptions = true,
            description = {"Re-export a model directory for this build's featurizer version (v"
                    + io.dimstream.core.featurize.SiteNetFeaturizer.VERSION + ") and ONNX graph, from its checkpoint.bin.",
                "Featurizer v2 featurizes every structure v1 accepted identically and adds large cells, so v1 weights "
                    + "are kept as they are; model.onnx, model.json (featurizerVersion, input shapes, sha256), the "
                    + "checkpoint's featurizer version and the model card (an 'upgrades' entry) are rewritten.",
                "A signed model must be signed again (model.onnx changes). Exit 1 with one line when the model has "
                    + "no checkpoint or incompatible weights."})
    public static final class Upgrade implements Callable<Integer> {
        @picocli.CommandLine.Parameters(index = "0", paramLabel = "DIR", description = "Model directory.")
        Path model;

        @Option(names = "--out", paramLabel = "DIR", description = "Write here (default: in place).")
        Path out;

        PrintStream stdout = System.out;
        PrintStream stderr = System.err;

        @Override
        public Integer call() throws IOException {
            io.dimstream.trainer.ModelBundle old;
            try {
                old = io.dimstream.trainer.ModelBundle.read(model);
            } catch (NoSuchFileException e) {
                stderr.println("model.not_found: " + e.getFile() + " does not exist");
                return 1;
            }
            int from = old.metadata().featurizerVersion();
            if (from == io.dimstream.core.featurize.SiteNetFeaturizer.VERSION) {
                stdout.println("model upgrade: " + model + " is already for featurizer v" + from + "; nothing to do");
                return 0;
            }
            io.dimstream.trainer.ModelBundle up;
            try {
                up = io.dimstream.trainer.ModelBundle.upgrade(old);
            } catch (IllegalArgumentException e) {
                stderr.println("model.upgrade_refused: " + e.getMessage());
                return 1;
            }
            Path dest = out == null ? model : out;
            if (out != null && !out.equals(model)) {
                Files.createDirectories(out);
                try (var files = Files.list(model)) {
                    for (Path f : files.toList()) {
                        if (Files.isRegularFile(f)) {
                            Files.copy(f, out.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
                Files.deleteIfExists(out.resolve("model.onnx.sig"));
            } else {
                Files.deleteIfExists(model.resolve("model.onnx.sig"));
            }
            up.write(dest);
            int to = up.metadata().featurizerVersion();
            io.dimstream.trainer.ModelCard.recordUpgrade(dest, from, to, "re-exported by `dimstream model upgrade`: "
                    + "weights unchanged; featurizer v" + to + " featurizes every v" + from + " input identically "
                    + "and adds cells above the supercell limits, which these weights did not see in training");
            stdout.println("model upgrade: " + up.metadata().name() + " v" + up.metadata().version() + " written to "
                    + dest + " for featurizer v" + to + " (was v" + from + "); sha256 " + up.metadata().onnxSha256());
            return 0;
        }
    }

    /** Shared by promote and rollback: the registry client from the service options. */
    abstract static class RegistryCommand implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        io.dimstream.cli.service.KafkaOptions kafka;

        @picocli.CommandLine.Parameters(index = "0", paramLabel = "NAME", description = "Model name (e.g. sitenet-dim).")
        String name;

        @picocli.CommandLine.Parameters(index = "1", paramLabel = "VERSION", description = "Model version.")
        int version;

        @Option(names = "--timeout", defaultValue = "PT30S", description = "Give up reading the registry after this long (default ${DEFAULT-VALUE}).")
        java.time.Duration timeout;

        PrintStream stdout = System.out;
        PrintStream stderr = System.err;

        abstract io.dimstream.core.kafka.RegistryAdmin.Change apply(io.dimstream.core.kafka.RegistryAdmin admin);

        abstract String verb();

        @Override
        public Integer call() throws IOException {
            java.util.Map<String, Object> props = io.dimstream.core.kafka.ServiceConfig.read(kafka.config(), kafka.overrides());
            props.putIfAbsent("bootstrap.servers", "127.0.0.1:9092");
            var admin = new io.dimstream.core.kafka.RegistryAdmin(props, io.dimstream.core.kafka.Topics.from(props), name);
            io.dimstream.core.kafka.RegistryAdmin.Change c;
            try {
                c = apply(admin);
            } catch (io.dimstream.core.DimstreamException e) {
                stderr.println(e.code() + ": " + e.getMessage());
                return 1;
            } catch (org.apache.kafka.common.KafkaException e) {
                stderr.println("registry.kafka: " + e.getMessage());
                return 1;
            }
            stdout.println("model " + verb() + ": " + name + (c.retired().isEmpty() ? "" : " retired " + versions(c.retired()))
                    + (c.promoted().isEmpty() ? "" : (c.retired().isEmpty() ? "" : ";") + " promoted " + versions(c.promoted()))
                    + "; the streams apps now serve v" + c.servingAfter()
                    + (c.servingAfter() == version ? " and backfill their corpus with it" : " (the highest PROMOTED version; "
                            + "`dimstream model rollback " + name + " " + version + "` serves v" + version + ")"));
            return 0;
        }

        private static String versions(java.util.List<Integer> l) {
            return l.stream().map(v -> "v" + v).collect(java.util.stream.Collectors.joining(", "));
        }
    }

    /** {@code dimstream model rollback NAME VERSION}. */
    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = {"Serve an older model version again: every PROMOTED version above VERSION is republished on "
                    + "models.registry as RETIRED (and VERSION as PROMOTED if it is not), in one transaction, with audit "
                    + "copies on models.history.",
                "The streams apps then serve VERSION and backfill their corpus with it; a version the trainer publishes "
                    + "later serves as usual. Undo with `dimstream model promote NAME V`.",
                "Reads --config / -p like the services (bootstrap.servers, topics.*, security settings)."})
    public static final class Rollback extends RegistryCommand {
        @Override
        io.dimstream.core.kafka.RegistryAdmin.Change apply(io.dimstream.core.kafka.RegistryAdmin admin) {
            return admin.rollback(version, timeout);
        }

        @Override
        String verb() {
            return "rollback";
        }
    }

    /** {@code dimstream model promote NAME VERSION}. */
    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = {"Mark a model version PROMOTED on models.registry (e.g. undo a rollback, or promote a CANDIDATE).",
                "The apps serve the highest PROMOTED version that verifies, so VERSION serves when it is then the highest; "
                    + "to serve an older version use `dimstream model rollback`."})
    public static final class Promote extends RegistryCommand {
        @Override
        io.dimstream.core.kafka.RegistryAdmin.Change apply(io.dimstream.core.kafka.RegistryAdmin admin) {
            return admin.promote(version, timeout);
        }

        @Override
        String verb() {
            return "promote";
        }
    }
}
