package io.strand.http;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

import java.net.URL;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console on a server that wants tokens (AuthApiTest's tokens file): it asks for one, then
 * lists only the streams that token may read, and tails a stream over EventSource with the token
 * as {@code access_token}.
 */
@QuarkusTest
@TestProfile(AuthApiTest.WithTokens.class)
class ConsoleTokenBrowserTest {
    @TestHTTPResource("/")
    URL base;

    private static WebDriver browser;

    @BeforeAll
    static void startBrowser() {
        browser = Chromium.start();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void theConsoleAsksForATokenAndUsesItForPagesAndTheLiveTail() {
        String stream = "auth-console-" + UUID.randomUUID().toString().substring(0, 8);
        given().header("Authorization", "Bearer writer-token").contentType("application/json")
                .body("{\"type\":\"Placed\",\"data\":{}}").post("/streams/" + stream).then().statusCode(201);
        browser.get(base.toString().replaceAll("/$", "") + "/console/");
        Chromium.waitUpTo(browser, 10).until(d -> d.findElement(By.id("token-dialog")).isDisplayed());
        browser.findElement(By.id("token-input")).sendKeys("reader-token");
        browser.findElement(By.cssSelector("#token-form button[value=save]")).click();
        Chromium.waitUpTo(browser, 10).until(d -> !d.findElements(By.xpath("//table[@id='stream-table']//button")).isEmpty());
        List<String> names = browser.findElements(By.xpath("//table[@id='stream-table']//button")).stream().map(WebElement::getText).toList();
        assertTrue(names.stream().allMatch(n -> n.startsWith("auth-")), "only what read:auth-* may read: " + names);

        browser.findElement(By.cssSelector("a[data-view='tail']")).click();
        WebElement field = browser.findElement(By.id("tail-stream"));
        field.clear();
        field.sendKeys(stream);
        browser.findElement(By.id("tail-from")).sendKeys("the beginning");
        browser.findElement(By.id("tail-start")).click();
        Chromium.waitUpTo(browser, 10).until(d -> d.findElement(By.id("tail-list")).getText().contains(stream + "/0 Placed"));
        given().header("Authorization", "Bearer writer-token").contentType("application/json")
                .body("{\"type\":\"Paid\",\"data\":{}}").post("/streams/" + stream).then().statusCode(201);
        Chromium.waitUpTo(browser, 5).until(d -> d.findElement(By.id("tail-list")).getText().contains(stream + "/1 Paid"));
        // the first page load's 401 is the only error the browser logged
        assertEquals(List.of(), Chromium.errors(browser).stream().filter(e -> !e.getMessage().contains("401")).toList());
    }
}
