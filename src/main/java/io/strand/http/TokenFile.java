package io.strand.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The static tokens of {@code strand.auth.tokens-file}: one per line, {@code name permissions secret},
 * where permissions is a comma list ({@link Permissions}) and secret is the token itself or
 * {@code sha256:<hex>} of it; blank lines and lines starting with {@code #} are skipped. Only
 * SHA-256 digests are held: a presented token is hashed and looked up, so neither the file's plain
 * secrets nor a lookup's timing say anything about other tokens.
 *
 * <p>{@link #reloadIfChanged()} re-reads the file when its modification time, size or identity
 * (inode: a Kubernetes Secret is swapped by a symlink) changed; a file that no longer parses is
 * reported and the tokens already loaded stay in force. Thread-safe: lookups read one volatile map.
 */
final class TokenFile {
    private static final System.Logger LOG = System.getLogger(TokenFile.class.getName());
    private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");

    /** Who presented a token, and what it may do. */
    record Caller(String name, Permissions permissions) {
    }

    private final Path file;
    private volatile Map<String, Caller> byDigest;
    private Object version; // reload thread only

    /** Loads the file now: a missing or malformed file is an {@link IllegalArgumentException} (startup fails). */
    TokenFile(Path file) {
        this.file = file;
        try {
            this.version = version(file);
            this.byDigest = parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("strand.auth.tokens-file " + file + " cannot be read: " + e, e);
        }
    }

    /** The caller whose token this is, or null. */
    Caller find(String token) {
        return findDigest(sha256(token));
    }

    /** The caller whose token has this SHA-256 ({@link #sha256}), or null. */
    Caller findDigest(String digest) {
        return byDigest.get(digest);
    }

    int size() {
        return byDigest.size();
    }

    /** Re-reads the file if it changed; returns whether new tokens were taken. */
    boolean reloadIfChanged() {
        try {
            Object now = version(file);
            if (Objects.equals(now, version)) {
                return false;
            }
            version = now;
            Map<String, Caller> tokens = parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
            byDigest = tokens;
            LOG.log(System.Logger.Level.INFO, "strand.auth.tokens-file " + file + " reloaded: " + tokens.size() + " tokens");
            return true;
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(System.Logger.Level.ERROR, "strand.auth.tokens-file " + file + " not reloaded, the tokens loaded before "
                    + "stay in force: " + e.getMessage());
            return false;
        }
    }

    private static Object version(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
    }

    /** The tokens of a file's lines, by the SHA-256 (lowercase hex) of each secret. */
    static Map<String, Caller> parse(List<String> lines, String source) {
        Map<String, Caller> tokens = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = source + " line " + (i + 1);
            String[] f = line.split("\\s+");
            if (f.length != 3) {
                throw new IllegalArgumentException(where + ": expected 'name permissions secret', found " + f.length + " fields");
            }
            Permissions permissions;
            try {
                permissions = Permissions.parse(f[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            String digest;
            if (f[2].startsWith("sha256:")) {
                digest = f[2].substring(7);
                if (!HEX64.matcher(digest).matches()) {
                    throw new IllegalArgumentException(where + ": sha256: must be followed by 64 hex digits");
                }
                digest = digest.toLowerCase(java.util.Locale.ROOT);
            } else {
                digest = sha256(f[2]);
            }
            if (tokens.put(digest, new Caller(f[0], permissions)) != null) {
                throw new IllegalArgumentException(where + ": the same secret as an earlier line");
            }
        }
        return Map.copyOf(tokens);
    }

    static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
