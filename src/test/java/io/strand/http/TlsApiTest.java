package io.strand.http;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strand.testsupport.TestCertificates;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS through Quarkus's TLS registry with PEM files the test makes ({@link TestCertificates}), as a
 * Kubernetes Secret of cert-manager would mount them: HTTPS, HTTP/2 chosen by ALPN, and several
 * Server-Sent Events streams multiplexed over one connection.
 */
@QuarkusTest
@TestProfile(TlsApiTest.WithPemCertificate.class)
class TlsApiTest {
    static final Path DIR = Path.of("target", "tls-test");
    static TestCertificates certificates;

    public static class WithPemCertificate implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            certificates = TestCertificates.create(DIR);
            return Map.of("quarkus.tls.key-store.pem.0.cert", certificates.certPem.toString(),
                    "quarkus.tls.key-store.pem.0.key", certificates.keyPem.toString(),
                    "quarkus.http.test-ssl-port", "0");
        }
    }

    @TestHTTPResource(value = "/", tls = true)
    URL https;

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            trust.setCertificateEntry("strand", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
        return c;
    }

    private String url(String path) {
        return https.toString().replaceAll("/$", "") + path;
    }

    @Test
    void shouldServeHttpsWithHttp2AndManySseStreamsOnOneConnection() throws Exception {
        assertTrue(https.getProtocol().equals("https"), https.toString());
        HttpClient client = HttpClient.newBuilder().sslContext(trusting(certificates.certPem)).version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(10)).build();
        String stream = "tls-" + UUID.randomUUID().toString().substring(0, 8);
        HttpResponse<String> created = client.send(HttpRequest.newBuilder(URI.create(url("/streams/" + stream)))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"T\",\"data\":{}}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, created.statusCode(), created.body());
        assertEquals(HttpClient.Version.HTTP_2, created.version(), "HTTP/2, negotiated by ALPN");

        // three subscriptions at once: HTTP/2 carries them as streams of one connection
        CompletableFuture<?>[] firsts = new CompletableFuture<?>[3];
        for (int i = 0; i < firsts.length; i++) {
            firsts[i] = client.sendAsync(HttpRequest.newBuilder(URI.create(url("/streams/" + stream + "?from=0")))
                    .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream())
                    .thenApply(r -> {
                        assertEquals(HttpClient.Version.HTTP_2, r.version());
                        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                            String line;
                            while ((line = in.readLine()) != null) {
                                if (line.startsWith("data: ")) {
                                    return line;
                                }
                            }
                            return null;
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
        }
        for (CompletableFuture<?> f : firsts) {
            String data = (String) f.get(20, TimeUnit.SECONDS);
            assertTrue(data != null && data.contains("\"stream\":\"" + stream + "\""), String.valueOf(data));
        }
    }

    @Test
    void shouldRefuseAClientThatDoesNotTrustTheCertificate() {
        HttpClient untrusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        assertThrows(SSLHandshakeException.class, () -> untrusting.send(HttpRequest.newBuilder(URI.create(url("/q/health/live")))
                .build(), HttpResponse.BodyHandlers.ofString()));
    }
}
