package io.strand.http;

import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.lang.JoseException;

import java.util.Base64;
import java.util.List;

/** An RSA key pair and JWTs signed with it, as an OIDC provider would issue them (jose4j). */
final class JwtSupport {
    static final String ISSUER = "https://issuer.example";
    static final String AUDIENCE = "strand";

    final RsaJsonWebKey key;

    JwtSupport(String keyId) {
        try {
            key = RsaJwkGenerator.generateJwk(2048);
            key.setKeyId(keyId);
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    String publicPem() {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getPublicKey().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    String jwks() {
        return new JsonWebKeySet(key).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY);
    }

    /** A token for {@code subject} with {@code permissions} in claim {@code strand}, expiring in {@code seconds} (negative: expired). */
    String token(String subject, Object permissions, String issuer, String audience, long seconds) {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(issuer);
        claims.setAudience(audience);
        claims.setSubject(subject);
        claims.setIssuedAtToNow();
        claims.setExpirationTime(org.jose4j.jwt.NumericDate.fromSeconds(System.currentTimeMillis() / 1000 + seconds));
        if (permissions instanceof List<?> list) {
            claims.setStringListClaim("strand", list.stream().map(String::valueOf).toList());
        } else if (permissions != null) {
            claims.setStringClaim("strand", permissions.toString());
        }
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key.getPrivateKey());
        jws.setKeyIdHeaderValue(key.getKeyId());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    String token(String subject, Object permissions) {
        return token(subject, permissions, ISSUER, AUDIENCE, 600);
    }
}
