package io.strand.http;

import io.strand.log.CommitLog;
import io.strand.ops.StorageLifecycle;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/**
 * Tests only: the open commit log as a bean, for HTTP and ops tests that look below the store
 * (white-box checks of positions and bytes). The application itself never exposes the log: http
 * and ops see the store's ports ({@code io.strand.store.Storage}).
 */
@ApplicationScoped
public class TestLogAccess {
    @Produces
    CommitLog commitLog(StorageLifecycle storage) {
        if (storage.storeOrNull() == null) {
            throw new IllegalStateException("the store is not open yet");
        }
        return storage.storeOrNull().log();
    }
}
