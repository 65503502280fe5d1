package io.strand.http;

import java.util.ArrayList;
import java.util.List;

/**
 * What a caller may do: {@code read:<glob>} and {@code write:<glob>} over stream names, and
 * {@code admin} (everything: {@code /log}, {@code /cluster}, group administration, every stream).
 * A glob's {@code *} matches any run of characters, {@code $} included, so {@code read:*} reads
 * {@code $all} and the store's own {@code $} streams; every other character matches itself.
 * Writing does not imply reading. Immutable.
 */
record Permissions(boolean admin, List<String> readGlobs, List<String> writeGlobs) {
    static final Permissions ALL = new Permissions(true, List.of(), List.of());
    static final Permissions NONE = new Permissions(false, List.of(), List.of());

    Permissions {
        readGlobs = List.copyOf(readGlobs);
        writeGlobs = List.copyOf(writeGlobs);
    }

    /**
     * Parses a comma list such as {@code read:orders-*,write:orders-*} (as in a tokens file or a
     * JWT claim, one entry each); an unknown entry is an {@link IllegalArgumentException} naming it.
     */
    static Permissions parse(List<String> entries) {
        boolean admin = false;
        List<String> read = new ArrayList<>();
        List<String> write = new ArrayList<>();
        for (String raw : entries) {
            String e = raw.trim();
            if (e.equals("admin")) {
                admin = true;
            } else if (e.startsWith("read:") && e.length() > 5) {
                read.add(e.substring(5));
            } else if (e.startsWith("write:") && e.length() > 6) {
                write.add(e.substring(6));
            } else if (!e.isEmpty()) {
                throw new IllegalArgumentException("unknown permission '" + e + "' (known: read:<glob>, write:<glob>, admin)");
            }
        }
        return new Permissions(admin, read, write);
    }

    static Permissions parse(String commaList) {
        return parse(List.of(commaList.split(",")));
    }

    boolean canRead(String stream) {
        return admin || matchesAny(readGlobs, stream);
    }

    boolean canWrite(String stream) {
        return admin || matchesAny(writeGlobs, stream);
    }

    /** Whether any stream at all may be read (the stream list then shows those that may). */
    boolean readsAnything() {
        return admin || !readGlobs.isEmpty();
    }

    private static boolean matchesAny(List<String> globs, String name) {
        for (String g : globs) {
            if (matches(g, name)) {
                return true;
            }
        }
        return false;
    }

    /** Glob match with {@code *} only (greedy with backtracking to the last star: linear for one star). */
    static boolean matches(String glob, String name) {
        int g = 0;
        int n = 0;
        int star = -1;
        int resume = 0;
        while (n < name.length()) {
            if (g < glob.length() && glob.charAt(g) == '*') {
                star = g++;
                resume = n;
            } else if (g < glob.length() && glob.charAt(g) == name.charAt(n)) {
                g++;
                n++;
            } else if (star >= 0) {
                g = star + 1;
                n = ++resume;
            } else {
                return false;
            }
        }
        while (g < glob.length() && glob.charAt(g) == '*') {
            g++;
        }
        return g == glob.length();
    }
}
