package io.strand.store;

/**
 * Stream (and consumer group) names: 1-200 characters of letters, digits and {@code - _ . : @},
 * not starting with {@code $} (reserved for the store's own streams). A name is only ever a key:
 * it never becomes part of a file path.
 */
public final class StreamNames {
    public static final int MAX_LENGTH = 200;

    private StreamNames() {
    }

    public static boolean isValid(String name) {
        int n = name == null ? 0 : name.length();
        if (n == 0 || n > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == ':' || c == '@';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Throws {@link InvalidRequestException} with a reason unless {@code name} is a valid user stream name. */
    public static String check(String what, String name) {
        if (!isValid(name)) {
            throw new InvalidRequestException(what + " names are 1-" + MAX_LENGTH
                    + " characters of letters, digits and -_.:@ (not starting with $): " + quote(name));
        }
        return name;
    }

    private static String quote(String name) {
        if (name == null) {
            return "null";
        }
        String s = name.length() > 64 ? name.substring(0, 64) + "..." : name;
        return '"' + s.replaceAll("\\p{Cntrl}", "?") + '"';
    }
}
