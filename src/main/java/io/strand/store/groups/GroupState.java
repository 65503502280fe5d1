package io.strand.store.groups;

import java.util.TreeSet;

/**
 * What a shared group's own stream says, rebuilt record by record at open and kept up to date as
 * the group records more: its settings, its resume point (every offset below it settled), the
 * settled offsets above it, and its parked events not yet replayed. Groups thread only.
 */
final class GroupState {
    GroupSettings settings;
    /** The settings of the last settings record appended, flushed or not: what a carry-forward records. */
    GroupSettings latest;
    long resume;
    final TreeSet<Long> settled = new TreeSet<>();
    final ParkedVersions parks = new ParkedVersions();
    /** Parked events recorded at or below this version of the group's stream were replayed. */
    long replayedThrough = -1;
    /**
     * The version of the settings record that created the group, or of its last carry-forward's
     * ({@link GroupCarry}): it is rebuilt from there (records before it belong to an earlier group of the name, or are carried).
     */
    long createdAt;
    /** The group's stream's last version known here. */
    long lastVersion = -1;
    boolean deleted;

    GroupState(GroupSettings settings, long createdAt) {
        reset(settings, createdAt);
    }

    private void reset(GroupSettings s, long version) {
        settings = s;
        latest = s;
        resume = s.from();
        settled.clear();
        parks.clear();
        replayedThrough = version;
        createdAt = version;
        deleted = false;
    }

    /** Applies the record at {@code version} of the group's stream (at open, in order). */
    void apply(long version, GroupRecord r) {
        lastVersion = Math.max(lastVersion, version);
        if (r instanceof GroupRecord.Settings s) {
            if (deleted) {
                reset(s.settings(), version);
            } else {
                settings = s.settings();
                latest = s.settings();
            }
        } else if (r instanceof GroupRecord.Deleted) {
            deleted = true;
        } else if (deleted) {
            return; // nothing of a deleted group matters
        } else if (r instanceof GroupRecord.Settled s) {
            for (long o : s.offsets()) {
                settled.add(o);
            }
            moveResume(s.resume());
        } else if (r instanceof GroupRecord.Parked p) {
            settled.add(p.offset());
            parks.add(version, p.offset(), p.id());
            moveResume(p.resume());
        } else if (r instanceof GroupRecord.Replayed rp) {
            parks.removeThrough(rp.through());
            replayedThrough = Math.max(replayedThrough, rp.through());
        }
    }

    /** What the group would do with its source, without versions of its own stream (tests compare it across a carry-forward). */
    String describe() {
        StringBuilder b = new StringBuilder(settings + " resume=" + resume + " settled=" + settled + " parked=[");
        for (int i = 0; i < parks.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(parks.offset(i)).append(':').append(parks.id(i));
        }
        return b.append("] deleted=").append(deleted).toString();
    }

    private void moveResume(long to) {
        resume = Math.max(resume, to);
        settled.headSet(resume).clear();
    }
}
