package io.strand.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Permissions, their globs, the tokens file and its reload, and the loopback rule of protected mode. */
class PermissionsTest {
    @Test
    void globsMatchWithStarsOnly() {
        assertTrue(Permissions.matches("*", "$all"));
        assertTrue(Permissions.matches("orders-*", "orders-1"));
        assertTrue(Permissions.matches("orders-*", "orders-"));
        assertFalse(Permissions.matches("orders-*", "order-1"));
        assertTrue(Permissions.matches("*-eu-*", "a-eu-b"));
        assertFalse(Permissions.matches("*-eu-*", "a-us-b"));
        assertTrue(Permissions.matches("a*b*c", "aXXbYYbZc"));
        assertFalse(Permissions.matches("a*b*c", "aXXbYYbZ"));
        assertTrue(Permissions.matches("exact", "exact"));
        assertFalse(Permissions.matches("exact", "exact2"));
        assertFalse(Permissions.matches("a?c", "abc"), "only * is special");
    }

    @Test
    void readStarReadsTheWholeLogButWritingIsNotReading() {
        Permissions p = Permissions.parse("read:*,write:orders-*");
        assertTrue(p.canRead("$all"));
        assertTrue(p.canRead("anything"));
        assertTrue(p.canWrite("orders-7"));
        assertFalse(p.canWrite("billing-7"));
        assertFalse(p.admin());
        Permissions w = Permissions.parse("write:orders-*");
        assertFalse(w.canRead("orders-7"));
        assertFalse(w.readsAnything());
        Permissions r = Permissions.parse("read:orders-*");
        assertFalse(r.canRead("$all"), "read:orders-* does not include the whole log");
        Permissions admin = Permissions.parse("admin");
        assertTrue(admin.canRead("$all") && admin.canWrite("x") && admin.admin());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Permissions.parse("read:*,delete:*"));
        assertTrue(e.getMessage().contains("delete:*"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Permissions.parse("read:"));
    }

    @Test
    void theTokensFileHoldsDigestsAndRefusesWhatItCannotRead() {
        String digest = TokenFile.sha256("s3cret-b");
        Map<String, TokenFile.Caller> tokens = TokenFile.parse(List.of("# comment", "", "reader read:* s3cret-a",
                "writer  write:orders-*,read:orders-*   sha256:" + digest.toUpperCase()), "t");
        assertEquals(2, tokens.size());
        assertEquals("reader", tokens.get(TokenFile.sha256("s3cret-a")).name());
        assertEquals("writer", tokens.get(digest).name());
        assertFalse(tokens.containsKey("s3cret-a"), "no plain secret is held");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TokenFile.parse(List.of("a read:*"), "t"))
                .getMessage().contains("t line 1"));
        assertThrows(IllegalArgumentException.class, () -> TokenFile.parse(List.of("a read:* sha256:abc"), "t"));
        assertThrows(IllegalArgumentException.class, () -> TokenFile.parse(List.of("a read:* x", "b admin x"), "t"));
        assertThrows(IllegalArgumentException.class, () -> TokenFile.parse(List.of("a root x"), "t"));
    }

    @Test
    void theTokensFileIsReloadedWhenItChangesAndKeptWhenItBreaks(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path f = dir.resolve("tokens");
        Files.writeString(f, "a read:* one\n", StandardCharsets.UTF_8);
        TokenFile tokens = new TokenFile(f);
        assertNotNull(tokens.find("one"));
        assertFalse(tokens.reloadIfChanged(), "unchanged");
        Path next = dir.resolve("tokens.new");
        Files.writeString(next, "b admin two\n", StandardCharsets.UTF_8);
        Files.move(next, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        assertTrue(tokens.reloadIfChanged());
        assertNull(tokens.find("one"), "a token taken out of the file stops working");
        assertEquals("b", tokens.find("two").name());
        Files.writeString(f, "broken line\n", StandardCharsets.UTF_8);
        assertFalse(tokens.reloadIfChanged());
        assertEquals("b", tokens.find("two").name(), "a file that no longer parses leaves the tokens in force");
        assertThrows(IllegalArgumentException.class, () -> new TokenFile(dir.resolve("missing")));
    }

    @Test
    void onlyLoopbackAddressesAreLoopback() {
        for (String host : List.of("127.0.0.1", "127.5.6.7", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1")) {
            assertTrue(AccessControl.loopback(host), host);
        }
        for (String host : List.of("192.0.2.2", "10.0.0.1", "::ffff:10.0.0.1", "fe80::1", "localhost", "", "abc.example")) {
            assertFalse(AccessControl.loopback(host), host);
        }
        assertFalse(AccessControl.loopback(null));
    }

    @Test
    void openPathsAreProbesMetricsAndTheConsole() {
        for (String p : List.of("/q/health/live", "/q/health/ready", "/q/metrics", "/console/", "/console/app.js", "/")) {
            assertTrue(AccessControl.open(p), p);
        }
        for (String p : List.of("/streams", "/streams/x", "/all", "/log", "/cluster", "/groups/g/streams/s", "/consoles")) {
            assertFalse(AccessControl.open(p), p);
        }
    }
}
