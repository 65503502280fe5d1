package io.strand.http;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** JWT verification against a JWK set served over real HTTP (a provider's jwks_uri) and a PEM file, key rotation included. */
class JwtVerifierTest {
    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private String serve(AtomicReference<String> body) throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/jwks", x -> {
            byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
    }

    @Test
    void checksSignatureIssuerAudienceExpiryAndThePermissionsClaim() throws Exception {
        JwtSupport provider = new JwtSupport("k1");
        AtomicReference<String> jwks = new AtomicReference<>(provider.jwks());
        JwtVerifier v = new JwtVerifier(serve(jwks), JwtSupport.ISSUER, JwtSupport.AUDIENCE, "strand");
        assertNull(v.verify(provider.token("ada", List.of("read:*"))), "no key loaded yet: refused, never fetched inline");
        assertTrue(v.reload());

        TokenFile.Caller ada = v.verify(provider.token("ada", List.of("read:orders-*", "write:orders-*")));
        assertNotNull(ada);
        assertEquals("jwt:ada", ada.name());
        assertTrue(ada.permissions().canWrite("orders-1") && !ada.permissions().canRead("$all"));
        TokenFile.Caller scoped = v.verify(provider.token("bob", "read:* admin"));
        assertTrue(scoped.permissions().admin(), "a space-separated string claim, as OAuth's scope");
        assertFalse(v.verify(provider.token("eve", null)).permissions().readsAnything(), "no claim: valid, but no permission");

        assertNull(v.verify(provider.token("ada", List.of("read:*"), "https://other.example", JwtSupport.AUDIENCE, 600)), "issuer");
        assertNull(v.verify(provider.token("ada", List.of("read:*"), JwtSupport.ISSUER, "someone-else", 600)), "audience");
        assertNull(v.verify(provider.token("ada", List.of("read:*"), JwtSupport.ISSUER, JwtSupport.AUDIENCE, -120)), "expired");
        assertNull(v.verify(new JwtSupport("k1").token("ada", List.of("read:*"))), "signed by another key");
        assertNull(v.verify(provider.token("ada", List.of("delete:*"))), "an unknown permission grants nothing");
        String t = provider.token("ada", List.of("read:*"));
        assertNull(v.verify(t.substring(0, t.length() - 4) + "AAAA"), "a tampered signature");

        // the provider rotates its key: tokens of the old one stop working at the next reload
        JwtSupport rotated = new JwtSupport("k2");
        jwks.set(rotated.jwks());
        assertTrue(v.reload());
        assertNotNull(v.verify(rotated.token("ada", List.of("read:*"))));
        assertNull(v.verify(provider.token("ada", List.of("read:*"))), "the old key's token after rotation");
    }

    @Test
    void readsAPemFileAndKeepsTheOldKeyWhenTheLocationFails(@TempDir Path dir) throws Exception {
        JwtSupport provider = new JwtSupport("k1");
        Path pem = dir.resolve("key.pem");
        Files.writeString(pem, provider.publicPem());
        JwtVerifier v = new JwtVerifier(pem.toString(), null, null, "strand");
        assertTrue(v.reload());
        assertNotNull(v.verify(provider.token("ada", List.of("read:*"), "any-issuer", "any-audience", 600)), "no issuer or audience required");
        Files.delete(pem);
        assertFalse(v.reload());
        assertNotNull(v.verify(provider.token("bob", List.of("read:*"))), "the key read before stays in use");
    }

    @Test
    void onlyThreePartTokensAreTriedAsJwts() {
        assertTrue(JwtVerifier.looksLikeJwt("a.b.c"));
        assertFalse(JwtVerifier.looksLikeJwt("plain-secret"));
        assertFalse(JwtVerifier.looksLikeJwt("a.b"));
        assertFalse(JwtVerifier.looksLikeJwt("a..c"));
        assertFalse(JwtVerifier.looksLikeJwt("a.b.c.d"));
    }
}
