package io.dimstream.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestCertificatesTest {

    @TempDir
    static Path dir;
    static TestCertificates tls;

    @BeforeAll
    static void make() {
        tls = TestCertificates.generate(dir.resolve("tls"));
    }

    private static KeyStore load(Path p) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p)) {
            ks.load(in, tls.password().toCharArray());
        }
        return ks;
    }

    private static SSLContext context(Path keystore, Path truststore) throws Exception {
        KeyManagerFactory kmf = null;
        if (keystore != null) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(load(keystore), tls.password().toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(truststore));
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return c;
    }

    @Test
    void brokerCertificateNamesLoopbackAndChainsToTheCa() throws Exception {
        KeyStore broker = load(tls.brokerKeystore());
        assertTrue(broker.isKeyEntry("broker"));
        var chain = broker.getCertificateChain("broker");
        assertEquals(2, chain.length, "leaf + CA");
        X509Certificate leaf = (X509Certificate) chain[0];
        X509Certificate ca = (X509Certificate) chain[1];
        leaf.verify(ca.getPublicKey());
        assertTrue(ca.getBasicConstraints() >= 0, "CA certificate has CA:true");
        assertEquals(-1, leaf.getBasicConstraints());
        assertTrue(leaf.getSubjectAlternativeNames().contains(List.of(7, "127.0.0.1")), leaf.getSubjectAlternativeNames().toString());
        assertTrue(leaf.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.1"), "serverAuth");
        KeyStore trust = load(tls.truststore());
        assertEquals(ca, trust.getCertificate("ca"));
        assertTrue(Files.readString(tls.caCertificate()).startsWith("-----BEGIN CERTIFICATE-----"));
        assertTrue(Files.notExists(tls.dir().resolve("ca-work.p12")), "the CA private key is not left behind");
        assertEquals(1, java.util.Collections.list(broker.aliases()).size(), "broker store holds only its own key");
    }

    /** A real mutual-TLS handshake on 127.0.0.1 with HTTPS hostname verification, as Kafka clients do it. */
    @Test
    void mutualTlsHandshakeOnLoopback() throws Exception {
        SSLContext server = context(tls.brokerKeystore(), tls.truststore());
        try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            ss.setNeedClientAuth(true);
            CompletableFuture<String> peer = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                    s.startHandshake();
                    String who = ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
                    s.getOutputStream().write(1);
                    return who;
                } catch (Exception e) {
                    return "error: " + e;
                }
            });
            SSLContext client = context(tls.clientKeystore(), tls.truststore());
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", ss.getLocalPort())) {
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                s.startHandshake();
                assertEquals(1, s.getInputStream().read());
            }
            assertEquals("CN=dimstream-client", peer.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void clientWithoutTheCaIsRefused() throws Exception {
        TestCertificates other = TestCertificates.generate(dir.resolve("other"));
        SSLContext server = context(tls.brokerKeystore(), tls.truststore());
        try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) ss.accept(); OutputStream out = s.getOutputStream()) {
                    s.startHandshake();
                } catch (Exception ignored) {
                    // the client aborts
                }
            });
            KeyStore trustOther = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(other.truststore())) {
                trustOther.load(in, other.password().toCharArray());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustOther);
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, tmf.getTrustManagers(), null);
            try (SSLSocket s = (SSLSocket) c.getSocketFactory().createSocket("127.0.0.1", ss.getLocalPort())) {
                assertThrows(SSLHandshakeException.class, s::startHandshake);
            }
        }
    }

    @Test
    void kafkaProperties() {
        var b = tls.brokerListenerProperties("CLIENT", true);
        assertEquals(tls.brokerKeystore().toString(), b.get("listener.name.client.ssl.keystore.location"));
        assertEquals("required", b.get("listener.name.client.ssl.client.auth"));
        var c = tls.clientProperties(true);
        assertEquals("SSL", c.get("security.protocol"));
        assertEquals("https", c.get("ssl.endpoint.identification.algorithm"));
        assertEquals(tls.clientKeystore().toString(), c.get("ssl.keystore.location"));
        assertTrue(!tls.clientProperties(false).containsKey("ssl.keystore.location"));
    }
}
