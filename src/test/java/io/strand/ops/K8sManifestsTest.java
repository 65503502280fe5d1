package io.strand.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.EnvVarSourceBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Kubernetes manifests in {@code k8s/} and the image's {@code src/main/docker/Dockerfile.jvm},
 * checked on a machine without a cluster: every document loads into fabric8's typed model with no
 * unknown field anywhere, and the manifests agree with the application they run (port, probe paths,
 * data directory, memory plan, shutdown timing). The numbers behind the constants are in
 * {@code k8s/README.md}.
 */
class K8sManifestsTest {
    private static final Path K8S = Path.of("k8s");
    private static final Path DOCKERFILE = Path.of("src/main/docker/Dockerfile.jvm");
    private static final Path APP_PROPERTIES = Path.of("src/main/resources/application.properties");

    private static final long MIB = 1L << 20;
    /** JVM memory outside heap and direct buffers: metaspace, code cache, GC structures, threads, malloc (README). */
    private static final long JVM_NATIVE_BYTES = 384 * MIB;
    /** The least page cache the limit must leave for the mapped segments' written and read pages (README). */
    private static final long PAGE_CACHE_MIN_BYTES = 1024 * MIB;
    /** Direct memory Netty and NIO need beside the pool. */
    private static final long NETTY_DIRECT_MIN_BYTES = 64 * MIB;
    /** Recovery scan rate the startup budget is planned at, bytes/s (README: measured 240+ MB/s here). */
    private static final long PLANNED_SCAN_BYTES_PER_SECOND = 100_000_000L;
    /** JVM and Quarkus start before the scan, and the first probes. */
    private static final long STARTUP_ALLOWANCE_SECONDS = 30;
    /** After the shutdown delay and timeout: final commit, fsync, checkpoint, index force, JVM exit. */
    private static final long FLUSH_MARGIN_SECONDS = 20;
    /** The pool allocates one extra page per buffer to align it (TransientStorePool). */
    private static final long PAGE = 4096;

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private static List<Path> manifestFiles;
    private static List<HasMetadata> objects;
    private static StatefulSet statefulSet;
    private static Container container;
    private static AppConfig config;

    @BeforeAll
    static void load() throws IOException {
        try (Stream<Path> files = Files.list(K8S)) {
            manifestFiles = files.filter(p -> p.getFileName().toString().matches(".*\\.ya?ml"))
                    .filter(p -> !p.getFileName().toString().startsWith("kustomization."))
                    .sorted().collect(Collectors.toList());
        }
        assertFalse(manifestFiles.isEmpty(), "no manifests in " + K8S.toAbsolutePath());
        objects = new ArrayList<>();
        for (Path file : manifestFiles) {
            objects.addAll(loadStrictly(Files.readString(file), file.toString()));
        }
        List<StatefulSet> sets = ofKind(StatefulSet.class);
        assertEquals(1, sets.size(), "one StatefulSet");
        statefulSet = sets.get(0);
        List<Container> containers = podSpec().getContainers();
        assertEquals(1, containers.size(), "one container in the pod");
        container = containers.get(0);
        config = new AppConfig(loadProperties(), container.getEnv());
    }

    // ------------------------------------------------------------------ the model, strictly

    /** Every document into the typed model; unknown kinds and unknown fields fail with their path. */
    static List<HasMetadata> loadStrictly(String yaml, String source) {
        Object loaded;
        try {
            loaded = SERIALIZATION.unmarshal(yaml);
        } catch (RuntimeException e) {
            throw new AssertionError(source + ": does not load into the Kubernetes model: " + e.getMessage(), e);
        }
        List<?> documents = loaded instanceof List<?> list ? list : Collections.singletonList(loaded);
        List<HasMetadata> result = new ArrayList<>();
        for (Object document : documents) {
            if (document == null) {
                continue;
            }
            String where = source + " " + describe(document);
            assertFalse(document instanceof GenericKubernetesResource,
                    where + ": unknown apiVersion/kind (loaded as GenericKubernetesResource)");
            assertTrue(document instanceof HasMetadata, where + ": not a Kubernetes object: " + document.getClass());
            List<String> unknown = new ArrayList<>();
            walk(document, "", unknown, Collections.newSetFromMap(new IdentityHashMap<>()));
            assertTrue(unknown.isEmpty(), where + ": unknown fields: " + unknown);
            result.add((HasMetadata) document);
        }
        return result;
    }

    private static String describe(Object o) {
        return o instanceof HasMetadata h ? h.getKind() + "/" + (h.getMetadata() == null ? "?" : h.getMetadata().getName())
                : o.getClass().getSimpleName();
    }

    /** Walks the model through its getters and collects every non-empty getAdditionalProperties(). */
    private static void walk(Object node, String path, List<String> unknown, Set<Object> seen) {
        if (node == null || !seen.add(node)) {
            return;
        }
        if (node instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                walk(e.getValue(), path + "[" + e.getKey() + "]", unknown, seen);
            }
            return;
        }
        if (node instanceof Collection<?> collection) {
            int i = 0;
            for (Object item : collection) {
                walk(item, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        Class<?> type = node.getClass();
        if (type.isEnum() || type.getPackageName().isEmpty() || !type.getPackageName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : type.getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.getReturnType().isPrimitive()
                    || !m.getName().startsWith("get") || m.getName().equals("getClass")
                    || !m.getDeclaringClass().getPackageName().startsWith("io.fabric8.")) {
                continue;
            }
            Object value;
            try {
                value = m.invoke(node);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue; // computed getters (Quantity's numerical amount, ...) are not fields
            }
            String field = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    for (Object key : extra.keySet()) {
                        unknown.add((path.isEmpty() ? "" : path + ".") + key);
                    }
                }
                continue;
            }
            walk(value, path.isEmpty() ? field : path + "." + field, unknown, seen);
        }
    }

    @Test
    void unknownFieldsAndKindsAreCaught() {
        String typo = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n"
                + "      containers:\n        - name: c\n          readinessProbe:\n            httpGet:\n"
                + "              path: /q/health/ready\n              prot: 8080\n";
        AssertionError e = expectFailure(() -> loadStrictly(typo, "typo"));
        assertTrue(e.getMessage().contains("spec.template.spec.containers[0].readinessProbe.httpGet.prot"), e.getMessage());
        AssertionError kind = expectFailure(() -> loadStrictly("apiVersion: v1\nkind: Servise\nmetadata:\n  name: x\n", "kind"));
        assertTrue(kind.getMessage().contains("GenericKubernetesResource"), kind.getMessage());
    }

    private static AssertionError expectFailure(Runnable r) {
        try {
            r.run();
        } catch (AssertionError e) {
            return e;
        }
        throw new AssertionError("expected a failure");
    }

    @Test
    void kustomizationListsEveryManifestAndTheImage() throws IOException {
        JsonNode k = new ObjectMapper(new YAMLFactory()).readTree(K8S.resolve("kustomization.yaml").toFile());
        assertEquals("kustomize.config.k8s.io/v1beta1", k.path("apiVersion").asText());
        assertEquals("Kustomization", k.path("kind").asText());
        Set<String> known = Set.of("apiVersion", "kind", "resources", "labels", "images", "namespace", "namePrefix",
                "commonAnnotations", "patches", "configMapGenerator", "secretGenerator", "components", "replicas");
        k.fieldNames().forEachRemaining(f -> assertTrue(known.contains(f), "kustomization: unexpected field " + f));
        Set<String> resources = new TreeSet<>();
        k.path("resources").forEach(r -> resources.add(r.asText()));
        Set<String> files = manifestFiles.stream().map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(files, resources, "kustomization resources = the manifests in k8s/");
        JsonNode images = k.path("images");
        assertEquals(1, images.size(), "one image entry");
        assertEquals(imageName(container.getImage()), images.get(0).path("name").asText(),
                "the kustomization's image entry names the container's image");
    }

    /**
     * The image the kustomization deploys is the one the READMEs build and push: every
     * {@code docker build -t} and {@code docker push} in README.md and k8s/README.md names
     * {@code newName:newTag}, and the tag is a release, not a snapshot.
     */
    @Test
    void kustomizationDeploysTheImageTheReadmesBuild() throws IOException {
        JsonNode image = new ObjectMapper(new YAMLFactory()).readTree(K8S.resolve("kustomization.yaml").toFile()).path("images").get(0);
        String deployed = image.path("newName").asText() + ":" + image.path("newTag").asText();
        assertFalse(image.path("newTag").asText().isEmpty(), "the kustomization sets a tag");
        assertFalse(deployed.contains("SNAPSHOT"), "a release tag is deployed: " + deployed);
        Pattern command = Pattern.compile("docker (?:build .*-t|push) (\\S+)");
        for (Path readme : List.of(Path.of("README.md"), K8S.resolve("README.md"))) {
            List<String> built = new ArrayList<>();
            Matcher m = command.matcher(Files.readString(readme));
            while (m.find()) {
                built.add(m.group(1));
            }
            assertEquals(2, built.size(), readme + ": one docker build -t and one docker push: " + built);
            for (String b : built) {
                assertEquals(deployed, b, readme + " builds or pushes the image k8s/kustomization.yaml deploys");
            }
        }
    }

    /** Renders k8s/ with kubectl (when installed) and loads the result as strictly as the files. */
    @Test
    void kubectlKustomizeRenders() throws Exception {
        Assumptions.assumeTrue(onPath("kubectl"), "kubectl not installed");
        Process p = new ProcessBuilder("kubectl", "kustomize", K8S.toString()).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize timed out");
        assertEquals(0, p.exitValue(), "kubectl kustomize k8s/ failed: " + err);
        List<HasMetadata> rendered = loadStrictly(new String(out, StandardCharsets.UTF_8), "kubectl kustomize k8s/");
        assertEquals(names(objects), names(rendered), "rendered objects = the manifests' objects");
        for (HasMetadata o : rendered) {
            assertEquals("strand", o.getMetadata().getLabels().get("app.kubernetes.io/part-of"), describe(o));
            if (o instanceof StatefulSet s) {
                JsonNode image = new ObjectMapper(new YAMLFactory()).readTree(K8S.resolve("kustomization.yaml").toFile()).path("images").get(0);
                assertEquals(image.path("newName").asText() + ":" + image.path("newTag").asText(),
                        s.getSpec().getTemplate().getSpec().getContainers().get(0).getImage(), "the rendered image");
            }
        }
    }

    /**
     * The TLS component ({@code k8s/tls/}, off by default) rendered on a copy of k8s/ with it turned
     * on: the server's PEM files and the members' trust come from the Secret cert-manager's
     * Certificate writes, HTTPS on the port the probes, the Service and the peers use.
     */
    @Test
    void theTlsComponentServesHttpsWithCertManagersSecret(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(onPath("kubectl"), "kubectl not installed");
        Path copy = dir.resolve("k8s");
        try (Stream<Path> files = Files.walk(K8S)) {
            for (Path f : files.toList()) {
                Path target = copy.resolve(K8S.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
        Files.writeString(copy.resolve("kustomization.yaml"), "components:\n  - tls\n", java.nio.file.StandardOpenOption.APPEND);
        Process p = new ProcessBuilder("kubectl", "kustomize", copy.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "kubectl kustomize with components: [tls] failed: " + err);
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        Map<String, JsonNode> byKind = new java.util.HashMap<>();
        try (var parser = new YAMLFactory().createParser(out)) {
            for (JsonNode doc : yaml.readValues(parser, JsonNode.class).readAll()) {
                byKind.put(doc.path("kind").asText(), doc);
            }
        }
        JsonNode certificate = byKind.get("Certificate");
        assertNotNull(certificate, "cert-manager's Certificate is part of the component");
        String secret = certificate.path("spec").path("secretName").asText();
        List<String> dnsNames = new ArrayList<>();
        certificate.path("spec").path("dnsNames").forEach(n -> dnsNames.add(n.asText()));
        JsonNode pod = byKind.get("StatefulSet").path("spec").path("template").path("spec");
        JsonNode container = pod.path("containers").get(0);
        Map<String, String> env = new java.util.HashMap<>();
        container.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
        String mount = null;
        for (JsonNode m : container.path("volumeMounts")) {
            for (JsonNode v : pod.path("volumes")) {
                if (v.path("name").asText().equals(m.path("name").asText()) && v.path("secret").path("secretName").asText().equals(secret)) {
                    mount = m.path("mountPath").asText();
                }
            }
        }
        assertNotNull(mount, "the Secret " + secret + " is mounted");
        assertEquals(mount + "/tls.crt", env.get("QUARKUS_TLS_KEY_STORE_PEM_0_CERT"));
        assertEquals(mount + "/tls.key", env.get("QUARKUS_TLS_KEY_STORE_PEM_0_KEY"));
        assertEquals(mount + "/ca.crt", env.get("STRAND_CLUSTER_TRUST_CERTIFICATES"), "members trust the CA for /log copies");
        assertEquals("disabled", env.get("QUARKUS_HTTP_INSECURE_REQUESTS"), "no plain HTTP beside HTTPS");
        assertEquals(mount + "/tls.key", env.get("STRAND_CLUSTER_RAFT_TLS_PRIVATE_KEY"), "mutual TLS on the Raft traffic");
        assertEquals(mount + "/tls.crt", env.get("STRAND_CLUSTER_RAFT_TLS_CERTIFICATE"));
        assertEquals(mount + "/ca.crt", env.get("STRAND_CLUSTER_RAFT_TLS_TRUST"));
        assertEquals("PKCS8", certificate.path("spec").path("privateKey").path("encoding").asText(),
                "Ratis's gRPC reads PKCS#8 keys only");
        int https = Integer.parseInt(env.get("QUARKUS_HTTP_SSL_PORT"));
        boolean declared = false;
        for (JsonNode port : container.path("ports")) {
            declared |= port.path("name").asText().equals("https") && port.path("containerPort").asInt() == https;
        }
        assertTrue(declared, "the container declares port https = quarkus.http.ssl-port");
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            assertEquals("HTTPS", container.path(probe).path("httpGet").path("scheme").asText(), probe);
            assertEquals("https", container.path(probe).path("httpGet").path("port").asText(), probe);
        }
        Map<String, String[]> peers = parsePeers(env.get("STRAND_CLUSTER_PEERS"));
        for (Map.Entry<String, String[]> peer : peers.entrySet()) {
            assertEquals(https, Integer.parseInt(peer.getValue()[2]), peer.getKey() + " is reached on the HTTPS port");
            String host = peer.getValue()[0];
            String wildcard = "*" + host.substring(host.indexOf('.'));
            assertTrue(dnsNames.contains(wildcard), "the certificate names " + host + " (" + wildcard + "): " + dnsNames);
        }
        JsonNode service = null;
        for (JsonNode doc : yaml.readValues(new YAMLFactory().createParser(out), JsonNode.class).readAll()) {
            if (doc.path("kind").asText().equals("Service") && doc.path("metadata").path("name").asText().equals("strand")) {
                service = doc;
            }
        }
        assertEquals("https", service.path("spec").path("ports").get(0).path("targetPort").asText(), "clients reach HTTPS");
    }

    private static Set<String> names(List<HasMetadata> list) {
        return list.stream().map(K8sManifestsTest::describe).collect(Collectors.toCollection(TreeSet::new));
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(java.io.File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }

    // ------------------------------------------------------------------ consistency with the app

    @Test
    void probesUseTheAppsHealthEndpointsAndPort() {
        int port = config.healthPort();
        assertProbe("startup", container.getStartupProbe(), config.healthPath("startup"), port);
        assertProbe("readiness", container.getReadinessProbe(), config.healthPath("readiness"), port);
        assertProbe("liveness", container.getLivenessProbe(), config.healthPath("liveness"), port);
        assertEquals("/q/health/started", config.healthPath("startup"), "defaults as the app serves them");

        Probe live = container.getLivenessProbe();
        assertTrue(budgetSeconds(live) >= 30, "liveness tolerates at least 30 s of failures: " + budgetSeconds(live));
        assertTrue(live.getTimeoutSeconds() != null && live.getTimeoutSeconds() >= 2, "liveness timeout covers a GC pause");
    }

    private static void assertProbe(String name, Probe probe, String path, int port) {
        assertNotNull(probe, name + " probe");
        HTTPGetAction get = probe.getHttpGet();
        assertNotNull(get, name + " probe is an HTTP GET");
        assertEquals(path, get.getPath(), name + " probe path");
        assertEquals(port, resolvePort(get.getPort()), name + " probe port");
        assertTrue(get.getScheme() == null || get.getScheme().equals("HTTP"), name + " probe scheme");
    }

    private static int resolvePort(IntOrString port) {
        assertNotNull(port, "port");
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return container.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName()))
                .map(ContainerPort::getContainerPort).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + port.getStrVal()));
    }

    @Test
    void containerPortIsTheHttpPortAndServicesReachIt() {
        int httpPort = config.httpPort();
        assertTrue(container.getPorts().stream().anyMatch(p -> p.getContainerPort() == httpPort),
                "the container exposes quarkus.http.port " + httpPort);
        Map<String, String> podLabels = statefulSet.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(podLabels.entrySet().containsAll(statefulSet.getSpec().getSelector().getMatchLabels().entrySet()),
                "the StatefulSet's selector matches its pods");
        List<Service> services = ofKind(Service.class);
        assertEquals(2, services.size(), "a headless and a client Service");
        boolean headless = false;
        for (Service s : services) {
            assertTrue(podLabels.entrySet().containsAll(s.getSpec().getSelector().entrySet()), describe(s) + " selects the pods");
            boolean isHeadless = "None".equals(s.getSpec().getClusterIP());
            for (ServicePort p : s.getSpec().getPorts()) {
                int target = resolvePort(p.getTargetPort());
                // the Raft port only on the headless Service: peers, not clients, use it
                assertTrue(target == httpPort || isHeadless && target == raftPort(),
                        describe(s) + " port " + p.getName() + " targets the HTTP port" + (isHeadless ? " or the Raft port" : ""));
            }
            if (isHeadless) {
                headless = true;
                assertEquals(statefulSet.getSpec().getServiceName(), s.getMetadata().getName(),
                        "the headless Service governs the StatefulSet");
            }
        }
        assertTrue(headless, "one Service is headless");
        List<PodDisruptionBudget> pdbs = ofKind(PodDisruptionBudget.class);
        assertEquals(1, pdbs.size(), "a PodDisruptionBudget");
        assertTrue(podLabels.entrySet().containsAll(pdbs.get(0).getSpec().getSelector().getMatchLabels().entrySet()),
                "the PodDisruptionBudget selects the pods");
        assertFalse(Boolean.TRUE.equals(podSpec().getEnableServiceLinks()),
                "service links would add STRAND_* variables, Strand's configuration namespace");
    }

    @Test
    void dataVolumeIsMountedAtTheDataDirAndRetained() {
        String dataDir = config.get("strand.data-dir", "./data");
        assertTrue(dataDir.startsWith("/"), "the container sets an absolute strand.data-dir (STRAND_DATA_DIR): " + dataDir);
        List<PersistentVolumeClaim> claims = statefulSet.getSpec().getVolumeClaimTemplates();
        assertEquals(1, claims.size(), "one volume claim per pod");
        PersistentVolumeClaim claim = claims.get(0);
        VolumeMount mount = container.getVolumeMounts().stream()
                .filter(m -> m.getName().equals(claim.getMetadata().getName())).findFirst()
                .orElseThrow(() -> new AssertionError("the claim " + claim.getMetadata().getName() + " is not mounted"));
        assertEquals(Path.of(dataDir).normalize(), Path.of(mount.getMountPath()).normalize(), "mount path = data dir");
        assertFalse(Boolean.TRUE.equals(mount.getReadOnly()), "the data volume is writable");
        assertEquals(List.of("ReadWriteOncePod"), claim.getSpec().getAccessModes(), "one pod per volume");
        var retention = statefulSet.getSpec().getPersistentVolumeClaimRetentionPolicy();
        assertNotNull(retention, "persistentVolumeClaimRetentionPolicy");
        assertEquals("Retain", retention.getWhenDeleted(), "claims kept when the StatefulSet is deleted");
        assertEquals("Retain", retention.getWhenScaled(), "claims kept when it is scaled down");
    }

    // ------------------------------------------------------------------ the Raft group

    /** The cluster's size: three replicas, a majority of two survives one pod down. */
    private static final int CLUSTER_SIZE = 3;

    @Test
    void threeReplicasStartInParallelWithTheClusterOn() {
        assertEquals(CLUSTER_SIZE, statefulSet.getSpec().getReplicas(), "three replicas, one Raft group");
        // OrderedReady would wait for strand-0 to be ready before starting strand-1, but a pod is ready
        // only once the group has a leader, which needs a majority running: it would never start.
        assertEquals("Parallel", statefulSet.getSpec().getPodManagementPolicy(),
                "podManagementPolicy Parallel: all peers must start to elect a leader");
        assertEquals("true", config.get("strand.cluster.enabled", "false"), "STRAND_CLUSTER_ENABLED=true");
    }

    @Test
    void raftPortIsDeclaredOnTheContainerAndTheHeadlessService() {
        int raft = raftPort();
        assertFalse(raft == config.httpPort(), "the Raft port differs from the HTTP port");
        ContainerPort declared = container.getPorts().stream().filter(p -> p.getContainerPort() == raft).findFirst().orElseThrow();
        assertTrue(declared.getProtocol() == null || declared.getProtocol().equals("TCP"), "Raft runs over TCP");
        Service headless = headlessService();
        assertEquals(Boolean.TRUE, headless.getSpec().getPublishNotReadyAddresses(),
                "the headless Service publishes not-ready pods: peers must find each other before a leader exists");
        ServicePort port = headless.getSpec().getPorts().stream()
                .filter(p -> p.getTargetPort() != null && resolvePort(p.getTargetPort()) == raft).findFirst()
                .orElseThrow(() -> new AssertionError(describe(headless) + " declares the Raft port " + raft));
        assertEquals(raft, port.getPort(), "the headless Service's Raft port = the container's (peers dial pod addresses)");
        assertTrue(port.getProtocol() == null || port.getProtocol().equals("TCP"), "Raft runs over TCP");
    }

    /**
     * No per-pod configuration by hand: the node id is the pod's name (the StatefulSet's name and
     * ordinal) from the downward API, and the one peers string, the same for every pod, names each
     * pod of the StatefulSet by its stable name under the headless Service, with the Raft and HTTP
     * ports the container declares.
     */
    @Test
    void nodeIdIsThePodNameAndPeersNameEveryPodOfTheHeadlessService() {
        EnvVarSource nodeId = config.valueFrom("strand.cluster.node-id");
        assertNotNull(nodeId, "STRAND_CLUSTER_NODE_ID is set per pod with valueFrom");
        assertNotNull(nodeId.getFieldRef(), "STRAND_CLUSTER_NODE_ID from the downward API (fieldRef)");
        assertEquals("metadata.name", nodeId.getFieldRef().getFieldPath(), "STRAND_CLUSTER_NODE_ID = the pod's name");

        String peers = config.get("strand.cluster.peers", null);
        assertNotNull(peers, "STRAND_CLUSTER_PEERS is set, one value for every pod");
        String set = statefulSet.getMetadata().getName();
        String service = headlessService().getMetadata().getName();
        assertEquals(statefulSet.getSpec().getServiceName(), service, "the headless Service governs the StatefulSet");
        Map<String, String[]> byId = parsePeers(peers);
        Set<String> pods = new TreeSet<>();
        for (int ordinal = 0; ordinal < statefulSet.getSpec().getReplicas(); ordinal++) {
            pods.add(set + "-" + ordinal);
        }
        assertEquals(pods, new TreeSet<>(byId.keySet()), "the peers' ids are the pods' names: " + peers);
        assertEquals(CLUSTER_SIZE, byId.size(), "three peers");
        assertEquals(config.httpPort(), resolvePort(new IntOrString("http")), "the container's port http is quarkus.http.port");
        for (Map.Entry<String, String[]> peer : byId.entrySet()) {
            String host = peer.getValue()[0];
            String stable = peer.getKey() + "." + service;
            assertTrue(host.equals(stable) || host.startsWith(stable + "."),
                    peer.getKey() + ": host " + host + " is the pod's name under the headless Service, " + stable);
            assertEquals(raftPort(), Integer.parseInt(peer.getValue()[1]), peer.getKey() + ": the Raft port the container declares");
            assertEquals(config.httpPort(), Integer.parseInt(peer.getValue()[2]), peer.getKey() + ": quarkus.http.port, the port http");
        }
    }

    /** {@code id=host:raftPort:httpPort,...} in order, each id once. */
    static Map<String, String[]> parsePeers(String peers) {
        Map<String, String[]> byId = new LinkedHashMap<>();
        Pattern entry = Pattern.compile("([^=,\\s]+)=([^:,\\s]+):([0-9]{1,5}):([0-9]{1,5})");
        for (String part : peers.trim().split(",")) {
            Matcher m = entry.matcher(part.trim());
            assertTrue(m.matches(), "peer " + part + " is id=host:raftPort:httpPort");
            assertTrue(byId.put(m.group(1), new String[] {m.group(2), m.group(3), m.group(4)}) == null, "peer " + m.group(1) + " twice");
        }
        return byId;
    }

    /**
     * Protected mode would refuse every client of the Service: the pods take bearer tokens from the
     * Secret the manifests ship, as a mounted file (re-read on change), and present its
     * cluster-secret to each other.
     */
    @Test
    void tokensAndTheClusterSecretComeFromTheShippedSecret() {
        List<io.fabric8.kubernetes.api.model.Secret> secrets = ofKind(io.fabric8.kubernetes.api.model.Secret.class);
        assertEquals(1, secrets.size(), "one Secret: strand-auth");
        io.fabric8.kubernetes.api.model.Secret secret = secrets.get(0);
        String name = secret.getMetadata().getName();
        assertTrue(secret.getStringData().containsKey("tokens") && secret.getStringData().containsKey("cluster-secret"),
                "the Secret holds tokens and cluster-secret");
        for (String line : secret.getStringData().get("tokens").split("\n")) {
            if (!line.isBlank() && !line.strip().startsWith("#")) {
                assertEquals(3, line.strip().split("\\s+").length, "a tokens line is 'name permissions secret': " + line);
            }
        }
        EnvVarSource clusterSecret = config.valueFrom("strand.cluster.secret");
        assertNotNull(clusterSecret, "STRAND_CLUSTER_SECRET from the Secret");
        assertEquals(name, clusterSecret.getSecretKeyRef().getName());
        assertEquals("cluster-secret", clusterSecret.getSecretKeyRef().getKey());

        String tokensFile = config.get("strand.auth.tokens-file", null);
        assertNotNull(tokensFile, "STRAND_AUTH_TOKENS_FILE is set");
        Path file = Path.of(tokensFile);
        var mount = container.getVolumeMounts().stream().filter(m -> file.startsWith(m.getMountPath())).findFirst()
                .orElseThrow(() -> new AssertionError("no volume mounted over " + tokensFile));
        assertNull(mount.getSubPath(), "a subPath mount never sees the Secret change");
        var volume = podSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        assertNotNull(volume.getSecret(), "the tokens volume is the Secret");
        assertEquals(name, volume.getSecret().getSecretName());
        String relative = Path.of(mount.getMountPath()).relativize(file).toString();
        assertTrue(volume.getSecret().getItems().stream().anyMatch(i -> i.getKey().equals("tokens") && i.getPath().equals(relative)),
                "the Secret's key tokens is the file " + tokensFile);
    }

    @Test
    void oneDisruptionAtATimeAndPodsSpreadOverNodes() {
        PodDisruptionBudget pdb = ofKind(PodDisruptionBudget.class).get(0);
        assertEquals(new IntOrString(1), pdb.getSpec().getMaxUnavailable(), "PDB maxUnavailable: 1 keeps two of three, a majority");
        assertNull(pdb.getSpec().getMinAvailable(), "maxUnavailable, not minAvailable");
        String unhealthy = pdb.getSpec().getUnhealthyPodEvictionPolicy();
        assertTrue(unhealthy == null || unhealthy.equals("IfHealthyBudget"),
                "a not-ready peer may still vote: evicted only while the budget holds (IfHealthyBudget), not " + unhealthy);

        Map<String, String> podLabels = statefulSet.getSpec().getTemplate().getMetadata().getLabels();
        List<TopologySpreadConstraint> spread = podSpec().getTopologySpreadConstraints() == null ? List.of()
                : podSpec().getTopologySpreadConstraints();
        TopologySpreadConstraint byHost = spread.stream().filter(c -> "kubernetes.io/hostname".equals(c.getTopologyKey())).findFirst()
                .orElseThrow(() -> new AssertionError("a topologySpreadConstraint on kubernetes.io/hostname"));
        assertEquals(1, byHost.getMaxSkew(), "maxSkew 1: no node holds two pods while another schedulable node holds none");
        assertNotNull(byHost.getLabelSelector(), "the spread constraint selects pods");
        Map<String, String> selected = byHost.getLabelSelector().getMatchLabels();
        assertTrue(selected != null && !selected.isEmpty() && podLabels.entrySet().containsAll(selected.entrySet()),
                "the spread constraint counts this StatefulSet's pods");
    }

    private static int raftPort() {
        return container.getPorts().stream().filter(p -> "raft".equals(p.getName())).map(ContainerPort::getContainerPort)
                .findFirst().orElseThrow(() -> new AssertionError("a container port named raft"));
    }

    private static Service headlessService() {
        List<Service> headless = ofKind(Service.class).stream().filter(s -> "None".equals(s.getSpec().getClusterIP()))
                .collect(Collectors.toList());
        assertEquals(1, headless.size(), "one headless Service");
        return headless.get(0);
    }

    @Test
    void securityContextMatchesTheMlockChoice() {
        PodSecurityContext pod = podSpec().getSecurityContext();
        assertNotNull(pod, "pod securityContext");
        assertNotNull(pod.getFsGroup(), "fsGroup makes the volume writable for the container's user");
        assertEquals("OnRootMismatch", pod.getFsGroupChangePolicy(), "no recursive chown of a big log on every start");
        SecurityContext c = container.getSecurityContext();
        assertNotNull(c, "container securityContext");
        assertEquals(List.of("ALL"), c.getCapabilities().getDrop(), "all capabilities dropped");
        assertEquals(Boolean.FALSE, c.getAllowPrivilegeEscalation(), "no privilege escalation");
        Long uid = c.getRunAsUser() != null ? c.getRunAsUser() : pod.getRunAsUser();
        boolean nonRoot = Boolean.TRUE.equals(c.getRunAsNonRoot() != null ? c.getRunAsNonRoot() : pod.getRunAsNonRoot());
        List<String> added = c.getCapabilities().getAdd() == null ? List.of() : c.getCapabilities().getAdd();
        if (added.isEmpty()) {
            // Non-root: IPC_LOCK would not reach a non-root process (no ambient capabilities), so none is
            // added; the pool is locked only as far as the memlock limit allows, and the pod must be
            // Guaranteed so that its anonymous memory cannot be swapped (README).
            assertTrue(nonRoot && uid != null && uid != 0, "without IPC_LOCK the container runs as a fixed non-root user");
            assertGuaranteed();
        } else {
            assertEquals(List.of("IPC_LOCK"), added, "the only capability added is IPC_LOCK");
            assertEquals(Long.valueOf(0), uid, "IPC_LOCK takes effect only for a root process");
            assertFalse(nonRoot, "root with IPC_LOCK cannot also be runAsNonRoot");
        }
        if (Boolean.TRUE.equals(c.getReadOnlyRootFilesystem())) {
            String tmp = config.javaOption("-Djna.tmpdir=").orElse(config.javaOption("-Djava.io.tmpdir=").orElse("/tmp"));
            assertTrue(container.getVolumeMounts().stream().anyMatch(m -> Path.of(tmp).startsWith(Path.of(m.getMountPath()))),
                    "with a read-only root file system, JNA's and Vert.x's temp dir " + tmp + " is a volume");
        }
    }

    private static void assertGuaranteed() {
        var resources = container.getResources();
        for (String r : List.of("cpu", "memory")) {
            Quantity request = resources.getRequests().get(r);
            Quantity limit = resources.getLimits().get(r);
            assertNotNull(request, r + " request");
            assertNotNull(limit, r + " limit");
            assertEquals(0, Quantity.getAmountInBytes(request).compareTo(Quantity.getAmountInBytes(limit)),
                    r + " request = limit (Guaranteed QoS)");
        }
    }

    @Test
    void memoryLimitCoversHeapPoolDirectNativeAndPageCache() {
        var resources = container.getResources();
        Quantity requestQ = resources.getRequests().get("memory");
        Quantity limitQ = resources.getLimits().get("memory");
        assertNotNull(limitQ, "memory limit");
        long limit = Quantity.getAmountInBytes(limitQ).longValueExact();
        assertEquals(limit, Quantity.getAmountInBytes(requestQ).longValueExact(), "memory request = limit");

        String opts = config.javaOpts();
        assertTrue(opts.contains("-XX:+ExitOnOutOfMemoryError"), "JAVA_OPTS: -XX:+ExitOnOutOfMemoryError");
        long heap;
        Matcher xmx = Pattern.compile("(?:^|\\s)-Xmx(\\S+)").matcher(opts);
        Matcher pct = Pattern.compile("(?:^|\\s)-XX:MaxRAMPercentage=([0-9.]+)").matcher(opts);
        if (xmx.find()) {
            heap = jvmSize(xmx.group(1));
        } else {
            assertTrue(pct.find(), "JAVA_OPTS sets -Xmx or -XX:MaxRAMPercentage");
            heap = (long) (limit * Double.parseDouble(pct.group(1)) / 100);
        }
        Matcher direct = Pattern.compile("(?:^|\\s)-XX:MaxDirectMemorySize=(\\S+)").matcher(opts);
        assertTrue(direct.find(), "JAVA_OPTS sets -XX:MaxDirectMemorySize (else it defaults to the heap size)");
        long maxDirect = jvmSize(direct.group(1));

        boolean poolOn = Boolean.parseBoolean(config.get("strand.log.transient-pool.enabled", "true"));
        long buffers = Long.parseLong(config.get("strand.log.transient-pool.buffers", "8"));
        long bufferSize = memorySize(config.get("strand.log.transient-pool.buffer-size", "4M"));
        long pool = poolOn ? buffers * (bufferSize + PAGE) : 0;
        long maxEvent = memorySize(config.get("strand.max-event-size", "1M"));
        assertTrue(maxEvent + PAGE <= bufferSize, "strand.max-event-size fits a pool buffer with 4 KiB to spare");
        assertTrue(maxDirect >= pool + NETTY_DIRECT_MIN_BYTES,
                "MaxDirectMemorySize " + maxDirect / MIB + " MiB covers the pool " + pool / MIB + " MiB + 64 MiB for Netty");

        long planned = heap + maxDirect + JVM_NATIVE_BYTES + PAGE_CACHE_MIN_BYTES;
        assertTrue(limit >= planned, String.format(Locale.ROOT,
                "memory limit %d MiB < heap %d + direct %d (pool %d) + JVM native %d + page cache %d MiB",
                limit / MIB, heap / MIB, maxDirect / MIB, pool / MIB, JVM_NATIVE_BYTES / MIB, PAGE_CACHE_MIN_BYTES / MIB));
    }

    @Test
    void startupBudgetCoversAWholeVolumeRecoveryScan() {
        Quantity storage = statefulSet.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests().get("storage");
        assertNotNull(storage, "the claim requests storage");
        long bytes = Quantity.getAmountInBytes(storage).longValueExact();
        // the log scan, then the index rebuild reading the whole log again, both cold
        long scanSeconds = 2 * bytes / PLANNED_SCAN_BYTES_PER_SECOND;
        long budget = budgetSeconds(container.getStartupProbe());
        assertTrue(budget >= scanSeconds + STARTUP_ALLOWANCE_SECONDS, String.format(Locale.ROOT,
                "startup probe allows %d s < a recovery scan and an index rebuild over the whole %d GiB volume at %d MB/s (%d s) + %d s",
                budget, bytes >> 30, PLANNED_SCAN_BYTES_PER_SECOND / 1_000_000, scanSeconds, STARTUP_ALLOWANCE_SECONDS));
    }

    private static long budgetSeconds(Probe p) {
        int initial = p.getInitialDelaySeconds() == null ? 0 : p.getInitialDelaySeconds();
        int period = p.getPeriodSeconds() == null ? 10 : p.getPeriodSeconds();
        int failures = p.getFailureThreshold() == null ? 3 : p.getFailureThreshold();
        return initial + (long) period * failures;
    }

    @Test
    void terminationGraceCoversShutdownDelayTimeoutAndFinalFlush() {
        String delayValue = config.get("quarkus.shutdown.delay", null);
        boolean delayEnabled = Boolean.parseBoolean(config.get("quarkus.shutdown.delay-enabled", "false"));
        if (delayValue != null) {
            assertTrue(delayEnabled, "quarkus.shutdown.delay needs quarkus.shutdown.delay-enabled=true (build time)");
        }
        long delay = delayEnabled && delayValue != null ? duration(delayValue).toSeconds() : 0;
        long timeout = duration(config.get("quarkus.shutdown.timeout", "0s")).toSeconds();
        Long grace = podSpec().getTerminationGracePeriodSeconds();
        assertNotNull(grace, "terminationGracePeriodSeconds");
        assertTrue(grace >= delay + timeout + FLUSH_MARGIN_SECONDS, String.format(Locale.ROOT,
                "terminationGracePeriodSeconds %d < shutdown delay %d + timeout %d + flush margin %d",
                grace, delay, timeout, FLUSH_MARGIN_SECONDS));
    }

    @Test
    void dockerfileRunsTheQuarkusLayoutWithJavaAsPid1() throws IOException {
        Map<String, String> env = dockerEnv();
        for (String layer : List.of("target/quarkus-app/lib/", "target/quarkus-app/*.jar", "target/quarkus-app/app/",
                "target/quarkus-app/quarkus/")) {
            assertTrue(dockerLines().stream().anyMatch(l -> l.startsWith("COPY ") && l.contains(layer)), "COPY " + layer);
        }
        String entry = dockerLines().stream().filter(l -> l.startsWith("ENTRYPOINT ")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("ENTRYPOINT"));
        JsonNode array = new ObjectMapper().readTree(entry.substring("ENTRYPOINT ".length()));
        assertTrue(array.isArray(), "ENTRYPOINT in exec form (a JSON array), so no shell stays PID 1");
        String command = new ObjectMapper().writeValueAsString(array);
        assertTrue(array.get(0).asText().equals("java") || command.contains("exec java "),
                "java itself, or a shell that execs java, so java is PID 1: " + command);
        assertTrue(command.contains("/deployments/quarkus-run.jar"), "runs quarkus-run.jar");
        assertTrue(dockerLines().stream().anyMatch(l -> l.matches("USER\\s+[1-9][0-9]*")), "the image runs as a non-root user");

        assertEquals(config.get("strand.data-dir", null), env.get("STRAND_DATA_DIR"),
                "the image's STRAND_DATA_DIR = the StatefulSet's");
        String imageOpts = env.get("JAVA_OPTS");
        assertNotNull(imageOpts, "the image sets JAVA_OPTS");
        assertEquals(List.of(config.javaOpts().trim().split("\\s+")), List.of(imageOpts.trim().split("\\s+")),
                "the image's JAVA_OPTS = the StatefulSet's");
    }

    // ------------------------------------------------------------------ helpers

    private static PodSpec podSpec() {
        return statefulSet.getSpec().getTemplate().getSpec();
    }

    private static <T> List<T> ofKind(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
    }

    private static String imageName(String image) {
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        return colon > slash ? image.substring(0, colon) : image;
    }

    private static Properties loadProperties() throws IOException {
        Properties p = new Properties();
        if (Files.exists(APP_PROPERTIES)) {
            try (InputStream in = Files.newInputStream(APP_PROPERTIES)) {
                p.load(in);
            }
        }
        return p;
    }

    private static List<String> dockerLines() throws IOException {
        List<String> lines = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : Files.readAllLines(DOCKERFILE)) {
            String line = raw.strip();
            if (current.length() == 0 && (line.isEmpty() || line.startsWith("#"))) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            current.append(line);
            lines.add(current.toString());
            current.setLength(0);
        }
        return lines;
    }

    /** ENV KEY=value and ENV KEY="value" lines of the Dockerfile. */
    private static Map<String, String> dockerEnv() throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        Pattern kv = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"((?:[^\"\\\\]|\\\\.)*)\"|'([^']*)'|(\\S*))");
        for (String line : dockerLines()) {
            if (!line.startsWith("ENV ")) {
                continue;
            }
            Matcher m = kv.matcher(line.substring(4));
            while (m.find()) {
                String value = m.group(3) != null ? m.group(3) : m.group(4) != null ? m.group(4) : m.group(5);
                env.put(m.group(1), value);
            }
        }
        return env;
    }

    /** Quarkus/SmallRye memory sizes: 4M, 1G, 512K, or bytes. */
    static long memorySize(String s) {
        Matcher m = Pattern.compile("(?i)\\s*([0-9]+)\\s*([KMGT]?)B?\\s*").matcher(s);
        assertTrue(m.matches(), "memory size " + s);
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> n << 10;
            case "M" -> n << 20;
            case "G" -> n << 30;
            case "T" -> n << 40;
            default -> n;
        };
    }

    /** HotSpot sizes: 256m, 1g, 262144k, or bytes. */
    static long jvmSize(String s) {
        return memorySize(s);
    }

    /** Quarkus durations: 30s, 500ms, 1m, or ISO-8601 (PT30S); a bare number is seconds. */
    static Duration duration(String s) {
        String v = s.trim();
        if (v.toUpperCase(Locale.ROOT).startsWith("P")) {
            return Duration.parse(v);
        }
        Matcher m = Pattern.compile("([0-9]+)(ms|s|m|h|d)?").matcher(v);
        assertTrue(m.matches(), "duration " + s);
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /**
     * The application's configuration as the container sees it: the container's environment (Quarkus
     * maps {@code STRAND_DATA_DIR} to {@code strand.data-dir}) over application.properties (the prod
     * profile) over the defaults given by the caller.
     */
    static final class AppConfig {
        private final Properties properties;
        private final Map<String, String> env = new LinkedHashMap<>();
        /** Variables set per pod (valueFrom: the downward API, ...): no value to read here. */
        private final Map<String, EnvVarSource> envFrom = new LinkedHashMap<>();

        AppConfig(Properties properties, List<EnvVar> env) {
            this.properties = properties;
            if (env != null) {
                for (EnvVar e : env) {
                    assertTrue(e.getValueFrom() == null || e.getValue() == null, e.getName() + ": value or valueFrom, not both");
                    if (e.getValueFrom() != null) {
                        this.envFrom.put(e.getName(), e.getValueFrom());
                    } else {
                        this.env.put(e.getName(), e.getValue());
                    }
                }
            }
        }

        static String envName(String key) {
            StringBuilder b = new StringBuilder();
            for (char ch : key.toCharArray()) {
                b.append(Character.isLetterOrDigit(ch) ? Character.toUpperCase(ch) : '_');
            }
            return b.toString();
        }

        String get(String key, String defaultValue) {
            assertFalse(envFrom.containsKey(envName(key)),
                    envName(key) + " comes from valueFrom, which differs per pod; check it with valueFrom(key)");
            String fromEnv = env.get(envName(key));
            if (fromEnv != null) {
                return fromEnv;
            }
            String prod = properties.getProperty("%prod." + key);
            if (prod != null) {
                return prod.trim();
            }
            String plain = properties.getProperty(key);
            return plain != null ? plain.trim() : defaultValue;
        }

        /** Where the container's variable for {@code key} comes from when it is set per pod, else null. */
        EnvVarSource valueFrom(String key) {
            return envFrom.get(envName(key));
        }

        String javaOpts() {
            String opts = env.get("JAVA_OPTS");
            if (opts != null) {
                return opts;
            }
            try {
                String fromImage = dockerEnv().get("JAVA_OPTS");
                assertNotNull(fromImage, "JAVA_OPTS in the StatefulSet or the Dockerfile");
                return fromImage;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        java.util.Optional<String> javaOption(String prefix) {
            return Stream.of(javaOpts().trim().split("\\s+")).filter(o -> o.startsWith(prefix))
                    .map(o -> o.substring(prefix.length())).reduce((a, b) -> b);
        }

        int httpPort() {
            return Integer.parseInt(get("quarkus.http.port", "8080"));
        }

        boolean management() {
            return Boolean.parseBoolean(get("quarkus.management.enabled", "false"));
        }

        /** Health is served on the management port when the management interface is on. */
        int healthPort() {
            return management() ? Integer.parseInt(get("quarkus.management.port", "9000")) : httpPort();
        }

        /** /q/health/{live,ready,started} unless the root paths were moved. */
        String healthPath(String kind) {
            String base = management()
                    ? join("/", get("quarkus.management.root-path", "q"))
                    : resolve(get("quarkus.http.root-path", "/"), get("quarkus.http.non-application-root-path", "q"));
            String health = resolve(base, get("quarkus.smallrye-health.root-path", "health"));
            String leaf = switch (kind) {
                case "liveness" -> get("quarkus.smallrye-health.liveness-path", "live");
                case "readiness" -> get("quarkus.smallrye-health.readiness-path", "ready");
                case "startup" -> get("quarkus.smallrye-health.startup-path", "started");
                default -> throw new IllegalArgumentException(kind);
            };
            return resolve(health, leaf);
        }

        private static String resolve(String base, String path) {
            return path.startsWith("/") ? path : join(base, path);
        }

        private static String join(String a, String b) {
            String left = a.endsWith("/") ? a.substring(0, a.length() - 1) : a;
            return left + "/" + (b.startsWith("/") ? b.substring(1) : b);
        }
    }

    @Test
    void configHelpersParseWhatTheAppAccepts() {
        assertEquals(4L << 20, memorySize("4M"));
        assertEquals(256L << 20, jvmSize("256m"));
        assertEquals(1L << 30, jvmSize("1g"));
        assertEquals(Duration.ofSeconds(30), duration("30s"));
        assertEquals(Duration.ofMillis(500), duration("500ms"));
        assertEquals(Duration.ofSeconds(5), duration("PT5S"));
        assertEquals("STRAND_LOG_TRANSIENT_POOL_BUFFER_SIZE", AppConfig.envName("strand.log.transient-pool.buffer-size"));
        Properties p = new Properties();
        try {
            p.load(new StringReader("quarkus.http.port=9090\n%prod.strand.data-dir=/x\n"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        EnvVarSource podName = new EnvVarSourceBuilder().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().build();
        AppConfig c = new AppConfig(p, List.of(new EnvVar("QUARKUS_HTTP_PORT", "7070", null),
                new EnvVar("STRAND_CLUSTER_NODE_ID", null, podName)));
        assertEquals(7070, c.httpPort(), "env over application.properties");
        assertEquals("metadata.name", c.valueFrom("strand.cluster.node-id").getFieldRef().getFieldPath());
        expectFailure(() -> c.get("strand.cluster.node-id", "n1"));
        assertEquals("/x", c.get("strand.data-dir", "./data"), "the prod profile");
        assertEquals("/q/health/ready", c.healthPath("readiness"));
        Map<String, String[]> peers = parsePeers("n1=127.0.0.1:7101:8101,n2=127.0.0.1:7102:8102,n3=127.0.0.1:7103:8103");
        assertEquals(List.of("n1", "n2", "n3"), List.copyOf(peers.keySet()));
        assertEquals(List.of("127.0.0.1", "7102", "8102"), List.of(peers.get("n2")));
        expectFailure(() -> parsePeers("n1=127.0.0.1:7101"));
        expectFailure(() -> parsePeers("n1=a:1:2,n1=b:1:2"));
    }
}
