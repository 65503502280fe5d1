package io.strand.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed server certificate for {@code localhost} and {@code 127.0.0.1}, made by the JDK's own
 * keytool (no network, no openssl), written as the PEM files Quarkus's TLS registry reads
 * ({@code cert.pem}, {@code key.pem}: PKCS#8) beside the PKCS#12 key store it came from.
 */
public final class TestCertificates {
    public static final String PASSWORD = "changeit";

    public final Path keyStore;
    public final Path certPem;
    public final Path keyPem;

    private TestCertificates(Path dir) {
        this.keyStore = dir.resolve("server.p12");
        this.certPem = dir.resolve("cert.pem");
        this.keyPem = dir.resolve("key.pem");
    }

    /** Makes them in {@code dir} (replacing what is there). */
    public static TestCertificates create(Path dir) {
        TestCertificates c = new TestCertificates(dir);
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(c.keyStore);
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "strand", "-keyalg", "RSA", "-keysize", "2048",
                    "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "3",
                    "-keystore", c.keyStore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD)
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + out);
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(c.keyStore)) {
                ks.load(in, PASSWORD.toCharArray());
            }
            Certificate cert = ks.getCertificate("strand");
            PrivateKey key = (PrivateKey) ks.getKey("strand", PASSWORD.toCharArray());
            Files.writeString(c.certPem, pem("CERTIFICATE", cert.getEncoded()));
            Files.writeString(c.keyPem, pem("PRIVATE KEY", key.getEncoded()));
            return c;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
