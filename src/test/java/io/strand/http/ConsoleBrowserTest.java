package io.strand.http;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console and EventSource in a real browser ({@link Chromium}). A second, tiny HTTP server serves a page on another origin: as
 * {@code http://127.0.0.1:<port>} it is allowed by {@code strand.http.cors.origins}, as
 * {@code http://localhost:<port>} (another origin, the same server) it is not. A screenshot of the
 * console is kept in {@code target/console.png}.
 */
@QuarkusTest
@TestProfile(ConsoleBrowserTest.AllowThePageServer.class)
class ConsoleBrowserTest {
    private static HttpServer pages;
    private static volatile String page = "";

    /** Starts the page server first, so its origin can be configured. */
    public static class AllowThePageServer implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strand.http.cors.origins", "http://127.0.0.1:" + pageServer().getAddress().getPort());
        }
    }

    static synchronized HttpServer pageServer() {
        if (pages == null) {
            try {
                pages = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            pages.createContext("/", x -> {
                byte[] body = page.getBytes(StandardCharsets.UTF_8);
                x.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
                x.sendResponseHeaders(200, body.length);
                x.getResponseBody().write(body);
                x.close();
            });
            pages.start();
        }
        return pages;
    }

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
        if (pages != null) {
            pages.stop(0);
        }
    }

    private String url(String path) {
        return base.toString().replaceAll("/$", "") + path;
    }

    private static void append(String stream, String type) {
        given().contentType("application/json").body("{\"type\":\"" + type + "\",\"data\":{\"n\":1}}")
                .post("/streams/" + stream).then().statusCode(201);
    }

    private static WebDriverWait waitUpTo(double seconds) {
        return Chromium.waitUpTo(browser, seconds);
    }

    private static List<LogEntry> severe() {
        return Chromium.errors(browser);
    }

    @Test
    void theConsoleListsStreamsShowsEventsAndTailsLive() throws Exception {
        String stream = "console-" + UUID.randomUUID().toString().substring(0, 8);
        append(stream, "Placed");
        severe(); // drains what other tests logged (the refused origin's errors)
        browser.get(url("/"));
        waitUpTo(10).until(d -> d.getCurrentUrl().endsWith("/console/"));
        // the stream list: the first page, then on through "Next page" until the stream shows
        waitUpTo(10).until(d -> !d.findElements(By.cssSelector("#stream-table tbody tr")).isEmpty());
        for (int i = 0; i < 200 && browser.findElements(By.xpath("//table[@id='stream-table']//button[text()='" + stream + "']")).isEmpty(); i++) {
            WebElement next = browser.findElement(By.id("streams-next"));
            assertTrue(next.isEnabled(), "the stream is on one of the pages");
            String before = browser.findElement(By.cssSelector("#stream-table tbody")).getText();
            next.click();
            waitUpTo(5).until(d -> !d.findElement(By.cssSelector("#stream-table tbody")).getText().equals(before));
        }
        browser.findElement(By.xpath("//table[@id='stream-table']//button[text()='" + stream + "']")).click();
        waitUpTo(5).until(d -> d.findElement(By.id("event-json")).getText().contains("\"Placed\""));
        assertTrue(browser.findElement(By.id("event-json")).getText().contains("\"stream\": \"" + stream + "\""));
        assertEquals(List.of(), severe(), "no console errors while loading and browsing");
        Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(shot, Path.of("target", "console.png"), StandardCopyOption.REPLACE_EXISTING);

        // the live tail of this stream, from new events only
        browser.findElement(By.cssSelector("a[data-view='tail']")).click();
        WebElement field = browser.findElement(By.id("tail-stream"));
        field.clear();
        field.sendKeys(stream);
        browser.findElement(By.id("tail-start")).click();
        waitUpTo(10).until(d -> d.findElement(By.id("tail-state")).getText().startsWith("Live"));
        append(stream, "Shipped");
        long sent = System.nanoTime();
        waitUpTo(1).until(d -> d.findElement(By.id("tail-list")).getText().contains(stream + "/1 Shipped"));
        System.out.printf("live tail: event shown %.0f ms after its append was acknowledged%n", (System.nanoTime() - sent) / 1e6);

        // pause: nothing arrives; resume: it does, without a gap
        browser.findElement(By.id("tail-pause")).click();
        assertEquals("true", browser.findElement(By.id("tail-pause")).getAttribute("aria-pressed"));
        append(stream, "Paid");
        Thread.sleep(300);
        assertTrue(!browser.findElement(By.id("tail-list")).getText().contains("Paid"), "paused: not shown");
        browser.findElement(By.id("tail-pause")).click();
        waitUpTo(5).until(d -> d.findElement(By.id("tail-list")).getText().contains(stream + "/2 Paid"));
        assertEquals(2, browser.findElements(By.cssSelector("#tail-list li")).size(), "Shipped and Paid, once each");
        assertEquals(List.of(), severe(), "no console errors while tailing");
    }

    /** Every field has a label, everything is reachable by keyboard, and a phone-wide window needs no sideways scrolling. */
    @Test
    void theConsoleIsAccessibleAndFitsAPhone() {
        severe();
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
        try {
            for (String view : List.of("streams", "tail", "append", "groups", "status")) {
                browser.get(url("/console/#" + view));
                waitUpTo(5).until(d -> d.findElement(By.id("view-" + view)).isDisplayed());
                JavascriptExecutor js = (JavascriptExecutor) browser;
                assertEquals(List.of(), js.executeScript("return [...document.querySelectorAll('input, select, textarea')]"
                        + ".filter(e => e.labels.length === 0).map(e => e.id)"), view + ": every field has a label");
                Number overflow = (Number) js.executeScript("return document.documentElement.scrollWidth - window.innerWidth");
                assertTrue(overflow.intValue() <= 0, view + ": no sideways scrolling at 390 px (" + overflow + " px too wide)");
            }
            // keyboard: Tab from the start reaches the navigation, Enter follows it
            browser.get(url("/console/#streams"));
            org.openqa.selenium.interactions.Actions keys = new org.openqa.selenium.interactions.Actions(browser);
            for (int i = 0; i < 12 && !"Append".equals(browser.switchTo().activeElement().getText()); i++) {
                keys.sendKeys(org.openqa.selenium.Keys.TAB).perform();
            }
            assertEquals("Append", browser.switchTo().activeElement().getText(), "the navigation is reachable with Tab");
            keys.sendKeys(org.openqa.selenium.Keys.ENTER).perform();
            waitUpTo(5).until(d -> d.findElement(By.id("view-append")).isDisplayed());
            assertEquals(List.of(), severe(), "no console errors");
        } finally {
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));
        }
    }

    @Test
    void theAppendFormAppendsAndTheStatusShowsLogPositions() {
        String stream = "console-form-" + UUID.randomUUID().toString().substring(0, 8);
        severe(); // drains what other tests logged
        browser.get(url("/console/#append"));
        browser.findElement(By.id("append-stream")).sendKeys(stream);
        browser.findElement(By.id("append-type")).sendKeys("Noted");
        WebElement data = browser.findElement(By.id("append-data"));
        data.clear();
        data.sendKeys("{\"note\":\"hi\"}");
        browser.findElement(By.cssSelector("#append-form button[type=submit]")).click();
        waitUpTo(5).until(d -> d.findElement(By.id("append-result")).getText().startsWith("201"));
        given().get("/streams/" + stream + "/0").then().statusCode(200)
                .body("type", org.hamcrest.Matchers.equalTo("Noted")).body("data.note", org.hamcrest.Matchers.equalTo("hi"));

        browser.get(url("/console/#status"));
        waitUpTo(5).until(d -> d.findElement(By.id("status-list")).getText().contains("committedPosition"));
        assertTrue(browser.findElement(By.id("status-list")).getText().contains("flushedPosition"));

        // the groups view lists the shared groups with their state
        String group = "console-g-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType("application/json").body("{\"stream\":\"" + stream + "\"}").put("/groups/" + group).then().statusCode(201);
        browser.get(url("/console/#groups"));
        waitUpTo(5).until(d -> d.findElement(By.id("shared-table")).getText().contains(group));
        String row = browser.findElements(By.cssSelector("#shared-table tbody tr")).stream().map(WebElement::getText)
                .filter(t -> t.startsWith(group)).findFirst().orElseThrow();
        assertTrue(row.contains(stream), row);
        given().delete("/groups/" + group).then().statusCode(204);
        assertEquals(List.of(), severe(), "no console errors");
    }

    /** A page on an allowed origin subscribes and onmessage fires; on another origin it is refused. */
    @Test
    void anAllowedOriginSubscribesAndAnotherIsRefused() {
        String stream = "console-cors-" + UUID.randomUUID().toString().substring(0, 8);
        append(stream, "error"); // a type EventSource would mistake for its own error event if it were named
        page = "<!doctype html><title>page</title><body><p id=out></p><script>"
                + "const out = document.getElementById('out');"
                + "const es = new EventSource('" + url("/streams/" + stream + "?from=0") + "');"
                + "es.onmessage = (m) => { out.textContent = 'message ' + JSON.parse(m.data).type; es.close(); };"
                + "es.onerror = () => { if (!out.textContent) out.textContent = 'error ' + es.readyState; es.close(); };"
                + "</script>";
        int port = pageServer().getAddress().getPort();
        browser.get("http://127.0.0.1:" + port + "/");
        waitUpTo(10).until(d -> !d.findElement(By.id("out")).getText().isEmpty());
        assertEquals("message error", browser.findElement(By.id("out")).getText(), "onmessage fired for an allowed origin");

        browser.get("http://localhost:" + port + "/");
        waitUpTo(10).until(d -> !d.findElement(By.id("out")).getText().isEmpty());
        assertEquals("error 2", browser.findElement(By.id("out")).getText(), "another origin is refused (EventSource CLOSED)");
    }
}
