package io.strand.http;

import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.ParseException;
import io.strand.http.TokenFile.Caller;
import org.eclipse.microprofile.jwt.JsonWebToken;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * JWT bearer tokens (an OIDC provider's access tokens, or any issuer's): signature, issuer, audience
 * and expiry checked by SmallRye JWT's parser against a public key or JWK set, permissions taken from
 * a claim ({@code strand} by default) holding the same strings as a tokens file: an array, or one
 * string separated by spaces or commas (as OAuth's {@code scope}).
 *
 * <p>Never blocks the caller: the key (a PEM or JWK(S) file, or an {@code http(s)} URL such as a
 * provider's {@code jwks_uri}) is read by {@link #reload()}, which the owner runs off the event loop
 * at startup and then periodically; verification only uses the key already in memory (until the
 * first load succeeds every JWT is refused). Verified tokens are kept until they expire, up to
 * {@link #CACHE} of them, so a client's repeated requests cost one signature check.
 */
final class JwtVerifier {
    private static final System.Logger LOG = System.getLogger(JwtVerifier.class.getName());
    static final int CACHE = 10_000;

    private final String keyLocation;
    private final String issuer;
    private final String audience;
    private final String claim;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    /** The parser of the key read last (its context holds the key); null until a read succeeded. */
    private volatile DefaultJWTParser parser;
    private final Map<String, Verified> verified = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Verified> eldest) {
            return size() > CACHE;
        }
    };

    private record Verified(Caller caller, long expiresAtSeconds) {
    }

    /**
     * @param keyLocation a file path or an http(s) URL of a PEM public key or a JWK / JWK set
     * @param issuer      the required {@code iss}, or null for any
     * @param audience    the required {@code aud}, or null for any
     * @param claim       the claim holding the permissions
     */
    JwtVerifier(String keyLocation, String issuer, String audience, String claim) {
        this.keyLocation = keyLocation;
        this.issuer = issuer;
        this.audience = audience;
        this.claim = claim;
    }

    /** Whether a bearer token has the shape of a JWS (three base64url parts). */
    static boolean looksLikeJwt(String token) {
        String[] parts = token.split("\\.", -1);
        return parts.length == 3 && !parts[0].isEmpty() && !parts[1].isEmpty() && !parts[2].isEmpty();
    }

    /** Reads the key again; on failure the key loaded before stays in use. Blocking: never on the event loop. */
    boolean reload() {
        try {
            String content = read(keyLocation);
            JWTAuthContextInfo c = new JWTAuthContextInfo();
            c.setPublicKeyContent(content);
            c.setIssuedBy(issuer);
            if (audience != null) {
                c.setExpectedAudience(Set.of(audience));
            }
            c.setRequireNamedPrincipal(false);
            parser = new DefaultJWTParser(c);
            synchronized (verified) {
                verified.clear(); // a rotated-out key must not keep its tokens alive
            }
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "strand.auth.jwt.public-key-location " + keyLocation + " could not be read"
                    + (parser == null ? " (JWTs are refused until it can)" : " (the key read before stays in use)") + ": " + e);
            return false;
        }
    }

    private String read(String location) throws IOException {
        if (location.startsWith("https://") || location.startsWith("http://")) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(location)).timeout(Duration.ofSeconds(10)).GET().build();
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                if (r.statusCode() != 200) {
                    throw new IOException("GET " + location + " answered " + r.statusCode());
                }
                return r.body();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted reading " + location, e);
            }
        }
        return Files.readString(Path.of(location), StandardCharsets.UTF_8);
    }

    /** The caller a valid JWT names, or null when it is not valid (signature, issuer, audience, expiry, claim). */
    Caller verify(String token) {
        long now = System.currentTimeMillis() / 1000;
        synchronized (verified) {
            Verified v = verified.get(token);
            if (v != null) {
                if (v.expiresAtSeconds > now) {
                    return v.caller;
                }
                verified.remove(token);
            }
        }
        DefaultJWTParser p = parser;
        if (p == null) {
            return null;
        }
        JsonWebToken jwt;
        try {
            jwt = p.parse(token);
        } catch (ParseException e) {
            return null;
        }
        Permissions permissions;
        try {
            permissions = Permissions.parse(permissionStrings(jwt.getClaim(claim)));
        } catch (IllegalArgumentException e) {
            return null; // a token naming a permission Strand does not know grants nothing
        }
        String name = jwt.getSubject() != null ? jwt.getSubject() : jwt.getName();
        Caller caller = new Caller("jwt:" + name, permissions);
        synchronized (verified) {
            verified.put(token, new Verified(caller, jwt.getExpirationTime()));
        }
        return caller;
    }

    /** The claim's permission strings: a JSON array, a collection, or one string split at spaces and commas. */
    static List<String> permissionStrings(Object value) {
        List<String> out = new ArrayList<>();
        if (value == null) {
            return out;
        }
        if (value instanceof jakarta.json.JsonArray a) {
            for (int i = 0; i < a.size(); i++) {
                out.add(a.get(i) instanceof jakarta.json.JsonString s ? s.getString() : a.get(i).toString());
            }
        } else if (value instanceof Collection<?> c) {
            c.forEach(o -> out.add(o instanceof jakarta.json.JsonString s ? s.getString() : String.valueOf(o)));
        } else {
            String s = value instanceof jakarta.json.JsonString js ? js.getString() : value.toString();
            for (String part : s.split("[\\s,]+")) {
                if (!part.isEmpty()) {
                    out.add(part);
                }
            }
        }
        return out;
    }
}
