package io.strand.ops;

import io.strand.store.OpenProgress;
import io.strand.store.StorageStatus;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Startup;

/**
 * {@code /q/health/started}: DOWN until the log is recovered and the index has caught up with it;
 * meanwhile its data shows the phase, bytes done of bytes to do, and the expected time left.
 */
@Startup
@ApplicationScoped
public class StartedCheck implements HealthCheck {
    private final StorageLifecycle storage;

    StartedCheck(StorageLifecycle storage) {
        this.storage = storage;
    }

    @Override
    public HealthCheckResponse call() {
        OpenProgress p = storage.progress();
        HealthCheckResponseBuilder b = HealthCheckResponse.named("strand-started")
                .status(storage.storeOrNull() != null)
                .withData("phase", p.phase())
                .withData("doneBytes", p.doneBytes())
                .withData("totalBytes", p.totalBytes())
                .withData("etaMillis", p.etaMillis());
        StorageStatus log = storage.statusOrNull();
        if (log != null) {
            b.withData("recoveredCleanly", log.recoveredCleanly()).withData("scannedBytes", log.recoveryScannedBytes());
        }
        if (storage.openMillis() >= 0) {
            b.withData("openMillis", storage.openMillis());
        }
        if (storage.failure() != null) {
            b.withData("failure", String.valueOf(storage.failure()));
        }
        return b.build();
    }
}
