package io.strand.store.groups;

/** No shared group of that name. */
public final class GroupNotFoundException extends RuntimeException {
    public GroupNotFoundException(String group) {
        super("no shared group " + group + "; create it with PUT /groups/" + group, null, false, false);
    }
}
