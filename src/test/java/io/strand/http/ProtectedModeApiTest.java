package io.strand.http;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URL;
import java.util.Collections;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Protected mode for real: with no credentials configured (the test profile), a client on the
 * loopback interface is served and one calling through this machine's own non-loopback address
 * (the kernel then uses that address as the source: not loopback to the server) gets 401, except
 * for health and metrics. {@link PermissionsTest} checks the loopback rule on addresses this
 * machine does not have.
 */
@QuarkusTest
class ProtectedModeApiTest {
    @TestHTTPResource("/")
    URL base;

    /** An IPv4 address of an interface that is up and not loopback, or null. */
    static InetAddress nonLoopbackAddress() throws SocketException {
        for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!n.isUp() || n.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(n.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    return a;
                }
            }
        }
        return null;
    }

    @Test
    void shouldServeOnlyLoopbackClientsWithoutCredentials() throws Exception {
        InetAddress other = nonLoopbackAddress();
        assumeTrue(other != null, "this machine has no non-loopback IPv4 address to call from");
        String remote = "http://" + other.getHostAddress() + ":" + base.getPort();
        String stream = "protected-" + UUID.randomUUID().toString().substring(0, 8);

        Response refused = given().baseUri(remote).contentType("application/json").body("{\"type\":\"T\",\"data\":{}}")
                .post("/streams/" + stream);
        assertEquals(401, refused.statusCode());
        assertEquals("application/problem+json", refused.contentType());
        assertEquals("urn:strand:problem:protected-mode", refused.jsonPath().getString("type"));
        assertTrue(refused.jsonPath().getString("detail").contains("strand.auth.tokens-file"), "says how to configure access");
        assertTrue(refused.header("WWW-Authenticate").startsWith("Bearer"));
        given().baseUri(remote).get("/all").then().statusCode(401);
        given().baseUri(remote).header("Authorization", "Bearer anything").get("/streams").then().statusCode(401);
        given().baseUri(remote).get("/q/health/live").then().statusCode(200);
        given().baseUri(remote).get("/q/metrics").then().statusCode(200);

        given().get("/streams/" + stream).then().statusCode(404); // the refused append wrote nothing
        given().contentType("application/json").body("{\"type\":\"T\",\"data\":{}}").post("/streams/" + stream)
                .then().statusCode(201); // loopback: served, no token needed
        given().get("/log?from=0&maxBytes=4096").then().statusCode(200);
    }
}
