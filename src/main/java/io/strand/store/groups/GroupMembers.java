package io.strand.store.groups;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A shared group's attached consumers and who gets the next event: the next one in turn with room
 * ({@code round-robin}), or ({@code pinned}) the consumer that has the event's stream in flight, else
 * the least busy one with room, so one stream's events go to one consumer at a time, in order.
 * Groups thread only.
 */
final class GroupMembers {
    final List<GroupMember> all = new ArrayList<>();
    private final Map<String, GroupMember> owners = new HashMap<>();
    private final Map<String, Integer> owned = new HashMap<>();
    private int next;

    /** Room for more deliveries across the consumers. */
    long room(int maxInFlight) {
        long room = 0;
        for (GroupMember m : all) {
            room += Math.max(0, maxInFlight - m.inFlight);
        }
        return room;
    }

    /** Who gets an event of {@code stream} now, or null; a pinned stream that must wait is added to {@code blocked}. */
    GroupMember choose(String stream, GroupSettings settings, Set<String> blocked) {
        int max = settings.maxInFlight();
        if (settings.strategy() == GroupSettings.Strategy.ROUND_ROBIN) {
            int n = all.size();
            for (int i = 0; i < n; i++) {
                GroupMember m = all.get((next + i) % n);
                if (m.inFlight < max) {
                    next = (next + i + 1) % n;
                    return m;
                }
            }
            return null;
        }
        if (blocked.contains(stream)) {
            return null;
        }
        GroupMember owner = owners.get(stream);
        if (owner == null) {
            for (GroupMember m : all) {
                if (m.inFlight < max && (owner == null || m.inFlight < owner.inFlight)) {
                    owner = m;
                }
            }
        } else if (owner.inFlight >= max) {
            owner = null;
        }
        if (owner == null) {
            blocked.add(stream); // its later events wait too: a stream's events go in order
        }
        return owner;
    }

    void sent(Delivery d, GroupMember m) {
        d.owner = m;
        m.inFlight++;
        String s = d.event().stream();
        owners.put(s, m);
        owned.merge(s, 1, Integer::sum);
    }

    void released(Delivery d) {
        GroupMember m = d.owner;
        d.owner = null;
        if (m != null) {
            m.inFlight--;
        }
        String s = d.event().stream();
        Integer count = owned.get(s);
        if (count != null) {
            if (count <= 1) {
                owned.remove(s);
                owners.remove(s);
            } else {
                owned.put(s, count - 1);
            }
        }
    }
}
