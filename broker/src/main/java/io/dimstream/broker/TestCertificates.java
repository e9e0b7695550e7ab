package io.dimstream.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Throw-away TLS material for tests, benchmarks and local TLS setups, made with the JDK's own
 * {@code keytool} (run from {@code java.home}, no other tool needed): a CA, a broker certificate
 * for {@code IP:127.0.0.1} / {@code DNS:localhost} signed by it, a client certificate (for mutual
 * TLS) signed by it, and a truststore holding the CA. Everything is PKCS12 with one random password,
 * valid for {@link #VALIDITY_DAYS} days; keys are EC P-256 (fast to make).
 *
 * <pre>{@code
 * TestCertificates tls = TestCertificates.generate(dir);
 * EmbeddedKafkaBroker.builder().tempDir().clientListenerProtocol("SSL")
 *         .brokerProperties(tls.brokerListenerProperties("client", true)).build().start();
 * Map<String, Object> clientProps = tls.clientProperties(true); // security.protocol=SSL, ssl.*
 * }</pre>
 */
public final class TestCertificates {

    public static final int VALIDITY_DAYS = 2;
    public static final String STORE_TYPE = "PKCS12";

    private final Path dir;
    private final String password;
    private final Path caCert;
    private final Path brokerKeystore;
    private final Path clientKeystore;
    private final Path truststore;

    private TestCertificates(Path dir, String password) {
        this.dir = dir;
        this.password = password;
        this.caCert = dir.resolve("ca.pem");
        this.brokerKeystore = dir.resolve("broker.p12");
        this.clientKeystore = dir.resolve("client.p12");
        this.truststore = dir.resolve("truststore.p12");
    }

    /** Generates CA, broker and client certificates and the truststore in {@code dir} (created if missing). */
    public static TestCertificates generate(Path dir) {
        byte[] pw = new byte[12];
        new SecureRandom().nextBytes(pw);
        TestCertificates t = new TestCertificates(dir, HexFormat.of().formatHex(pw));
        try {
            Files.createDirectories(dir);
            t.make();
        } catch (IOException e) {
            throw new UncheckedIOException("could not write TLS material to " + dir + ": " + e.getMessage(), e);
        }
        return t;
    }

    private void make() throws IOException {
        // One scratch keystore holds the CA key and makes the leaf certificates with -signer (7 keytool
        // runs in all); the stores handed out hold only what they need.
        Path work = dir.resolve("ca-work.p12");
        Files.deleteIfExists(work);
        try {
            String[] store = {"-keystore", work.toString(), "-storetype", STORE_TYPE, "-storepass", password};
            // 1. CA: self-signed, basic constraints CA:true
            keytool(concat(new String[] {"-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                "-sigalg", "SHA256withECDSA", "-dname", "CN=dimstream test CA", "-ext", "bc:c",
                "-ext", "KeyUsage:critical=keyCertSign,cRLSign", "-validity", String.valueOf(VALIDITY_DAYS)}, store));
            keytool(concat(new String[] {"-exportcert", "-rfc", "-alias", "ca", "-file", caCert.toString()}, store));
            // 2. leaf certificates signed by the CA (chain: leaf, CA)
            keytool(concat(leaf("broker", "CN=localhost", "EKU=serverAuth,clientAuth"),
                    new String[] {"-ext", "SAN=IP:127.0.0.1,DNS:localhost"}, store));
            keytool(concat(leaf("client", "CN=dimstream-client", "EKU=clientAuth"), store));
            export(work, "broker", brokerKeystore);
            export(work, "client", clientKeystore);
            // 3. truststore = the CA certificate
            Files.deleteIfExists(truststore);
            keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caCert.toString(), "-keystore",
                    truststore.toString(), "-storetype", STORE_TYPE, "-storepass", password);
        } finally {
            Files.deleteIfExists(work); // the CA key is not needed any more
        }
    }

    private String[] leaf(String alias, String dname, String eku) {
        return new String[] {"-genkeypair", "-alias", alias, "-signer", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
            "-sigalg", "SHA256withECDSA", "-dname", dname, "-validity", String.valueOf(VALIDITY_DAYS),
            "-ext", "KeyUsage:critical=digitalSignature,keyAgreement", "-ext", eku};
    }

    private void export(Path work, String alias, Path dest) throws IOException {
        Files.deleteIfExists(dest);
        keytool("-importkeystore", "-noprompt", "-srckeystore", work.toString(), "-srcstoretype", STORE_TYPE,
                "-srcstorepass", password, "-srcalias", alias, "-destkeystore", dest.toString(),
                "-deststoretype", STORE_TYPE, "-deststorepass", password, "-destkeypass", password);
    }

    private static String[] concat(String[]... parts) {
        List<String> all = new ArrayList<>();
        for (String[] p : parts) {
            all.addAll(List.of(p));
        }
        return all.toArray(String[]::new);
    }

    private static void keytool(String... args) throws IOException {
        Path exe = Path.of(System.getProperty("java.home"), "bin",
                System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows") ? "keytool.exe" : "keytool");
        List<String> cmd = new ArrayList<>();
        cmd.add(exe.toString());
        cmd.add("-J-Duser.language=en");
        cmd.add("-J-XX:TieredStopAtLevel=1"); // short-lived JVMs: start fast
        cmd.add("-J-XX:+UseSerialGC");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool " + args[0] + " did not finish within 60 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed (exit " + p.exitValue() + "): " + out);
        }
    }

    public Path dir() {
        return dir;
    }

    /** Password of every store and key. */
    public String password() {
        return password;
    }

    /** The CA certificate, PEM. */
    public Path caCertificate() {
        return caCert;
    }

    /** Broker key + certificate chain (SAN IP:127.0.0.1, DNS:localhost). */
    public Path brokerKeystore() {
        return brokerKeystore;
    }

    /** Client key + certificate chain for mutual TLS (CN=dimstream-client). */
    public Path clientKeystore() {
        return clientKeystore;
    }

    public Path truststore() {
        return truststore;
    }

    /**
     * Broker properties that turn the listener {@code listenerName} (e.g. {@code client}) into TLS with
     * this material; with {@code requireClientAuth} clients must present a certificate (mTLS).
     */
    public Map<String, String> brokerListenerProperties(String listenerName, boolean requireClientAuth) {
        String p = "listener.name." + listenerName.toLowerCase(Locale.ROOT) + ".";
        Map<String, String> m = new LinkedHashMap<>();
        m.put(p + "ssl.keystore.type", STORE_TYPE);
        m.put(p + "ssl.keystore.location", brokerKeystore.toString());
        m.put(p + "ssl.keystore.password", password);
        m.put(p + "ssl.key.password", password);
        m.put(p + "ssl.truststore.type", STORE_TYPE);
        m.put(p + "ssl.truststore.location", truststore.toString());
        m.put(p + "ssl.truststore.password", password);
        m.put(p + "ssl.client.auth", requireClientAuth ? "required" : "none");
        return m;
    }

    /**
     * Kafka client properties for a TLS listener signed by this CA: {@code security.protocol=SSL},
     * the truststore, hostname verification on (the broker certificate names 127.0.0.1), and with
     * {@code clientCertificate} the client keystore for mutual TLS.
     */
    public Map<String, Object> clientProperties(boolean clientCertificate) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("security.protocol", "SSL");
        m.put("ssl.truststore.type", STORE_TYPE);
        m.put("ssl.truststore.location", truststore.toString());
        m.put("ssl.truststore.password", password);
        m.put("ssl.endpoint.identification.algorithm", "https");
        if (clientCertificate) {
            m.put("ssl.keystore.type", STORE_TYPE);
            m.put("ssl.keystore.location", clientKeystore.toString());
            m.put("ssl.keystore.password", password);
            m.put("ssl.key.password", password);
        }
        return m;
    }
}
