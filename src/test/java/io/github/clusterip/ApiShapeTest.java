package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Black-box checks of what the jar exposes: the module descriptor and the shape of public types. */
class ApiShapeTest {

    private static Path classesDir() throws URISyntaxException {
        return Paths.get(ClusterIpAllocator.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** The API: every public type of the exported package, by binary name. */
    private static final Set<String> PUBLIC_TYPES = Set.of(
            "io.github.clusterip.AllocationException",
            "io.github.clusterip.AllocationMetrics",
            "io.github.clusterip.AllocationMetrics$Scope",
            "io.github.clusterip.IpNotInAnyCidrException",
            "io.github.clusterip.Owner",
            "io.github.clusterip.ServiceCidrSet",
            "io.github.clusterip.ServiceCidrSet$Builder",
            "io.github.clusterip.ServiceCidrStatus",
            "io.github.clusterip.Band",
            "io.github.clusterip.ClusterIpAllocator",
            "io.github.clusterip.ClusterIpAllocator$Builder",
            "io.github.clusterip.CompatibilityProfile",
            "io.github.clusterip.IpAddress",
            "io.github.clusterip.IpAlreadyAllocatedException",
            "io.github.clusterip.IpFamily",
            "io.github.clusterip.IpNotInRangeException",
            "io.github.clusterip.IpRange",
            "io.github.clusterip.NodePortAllocator",
            "io.github.clusterip.NodePortAllocator$Builder",
            "io.github.clusterip.PortAlreadyAllocatedException",
            "io.github.clusterip.PortNotInRangeException",
            "io.github.clusterip.PortRange",
            "io.github.clusterip.RangeAllocation",
            "io.github.clusterip.RangeFullException",
            "io.github.clusterip.ScanStrategy",
            "io.github.clusterip.ServiceCidr",
            "io.github.clusterip.SharedClusterIpAllocator",
            "io.github.clusterip.SharedClusterIpAllocator$Builder",
            "io.github.clusterip.SharedNodePortAllocator",
            "io.github.clusterip.SharedNodePortAllocator$Builder",
            "io.github.clusterip.service.SharedServiceAllocator",
            "io.github.clusterip.service.SharedServiceAllocator$Builder",
            "io.github.clusterip.store.InMemoryKeyValueStore",
            "io.github.clusterip.store.KeyValueStore",
            "io.github.clusterip.store.StoreCondition",
            "io.github.clusterip.store.StoreConflictException",
            "io.github.clusterip.store.StoreEntry",
            "io.github.clusterip.store.StoreEvent",
            "io.github.clusterip.store.StoreException",
            "io.github.clusterip.store.StoreLayout",
            "io.github.clusterip.store.StoreListener",
            "io.github.clusterip.store.StoreSnapshot",
            "io.github.clusterip.store.StoreUnavailableException",
            "io.github.clusterip.store.StoreValueException",
            "io.github.clusterip.store.StoreWatch",
            "io.github.clusterip.store.StoreWrite",
            "io.github.clusterip.service.ExistingService",
            "io.github.clusterip.service.ExistingService$Port",
            "io.github.clusterip.service.ExternalTrafficPolicy",
            "io.github.clusterip.service.FieldError",
            "io.github.clusterip.service.FieldError$Type",
            "io.github.clusterip.service.IpFamilyPolicy",
            "io.github.clusterip.service.Protocol",
            "io.github.clusterip.service.Repair",
            "io.github.clusterip.service.Repair$Builder",
            "io.github.clusterip.service.RepairAction",
            "io.github.clusterip.service.RepairErrorType",
            "io.github.clusterip.service.RepairFinding",
            "io.github.clusterip.service.RepairFinding$Kind",
            "io.github.clusterip.service.RepairMetrics",
            "io.github.clusterip.service.RepairReport",
            "io.github.clusterip.service.ServiceAllocator",
            "io.github.clusterip.service.ServiceAlreadyExistsException",
            "io.github.clusterip.service.ServiceException",
            "io.github.clusterip.service.ServiceInternalException",
            "io.github.clusterip.service.ServiceInvalidException",
            "io.github.clusterip.service.ServiceNotFoundException",
            "io.github.clusterip.service.ServiceOperations",
            "io.github.clusterip.service.ServicePort",
            "io.github.clusterip.service.ServiceSpec",
            "io.github.clusterip.service.ServiceSpec$Builder",
            "io.github.clusterip.service.ServiceType");

    private static ModuleDescriptor descriptor() throws IOException, URISyntaxException {
        try (InputStream in = Files.newInputStream(classesDir().resolve("module-info.class"))) {
            return ModuleDescriptor.read(in);
        }
    }

    @Test
    void moduleExportsTheApiPackagesAndRequiresOnlyJavaBaseAndTheHttpClient() throws Exception {
        ModuleDescriptor descriptor = descriptor();
        assertThat(descriptor.name()).isEqualTo("io.github.clusterip");
        assertThat(descriptor.exports()).extracting(ModuleDescriptor.Exports::source)
                .containsExactlyInAnyOrder("io.github.clusterip", "io.github.clusterip.service", "io.github.clusterip.store");
        assertThat(descriptor.exports()).noneMatch(ModuleDescriptor.Exports::isQualified);
        assertThat(descriptor.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()))
                .isEqualTo(Set.of("java.base", "java.net.http"));
        assertThat(descriptor.opens()).isEmpty();
        assertThat(descriptor.isOpen()).isFalse();
    }

    @Test
    void theExportedPackageHoldsExactlyTheApiTypes() throws Exception {
        assertThat(publicTypes().stream().map(Class::getName).collect(Collectors.toSet()))
                .as("public types of the exported package; a new one is new API: add it here on purpose")
                .isEqualTo(PUBLIC_TYPES);
    }

    @Test
    void everyPublicTypeIsFinalSealedOrAnInterface() throws Exception {
        List<Class<?>> publicTypes = publicTypes();
        assertThat(publicTypes).isNotEmpty();
        for (Class<?> type : publicTypes) {
            boolean closed = Modifier.isFinal(type.getModifiers()) || type.isInterface() || type.isSealed();
            assertThat(closed).as("%s is final, sealed or an interface", type.getName()).isTrue();
        }
    }

    @Test
    void exceptionsAreUncheckedUnderOneSealedParent() {
        assertThat(AllocationException.class.getPermittedSubclasses()).containsExactlyInAnyOrder(
                RangeFullException.class, IpAlreadyAllocatedException.class, IpNotInRangeException.class,
                IpNotInAnyCidrException.class, PortAlreadyAllocatedException.class, PortNotInRangeException.class);
        assertThat(RuntimeException.class).isAssignableFrom(AllocationException.class);
    }

    /** The public types (top-level and nested) of the packages the module exports. */
    private static List<Class<?>> publicTypes() throws IOException, URISyntaxException, ClassNotFoundException {
        List<Class<?>> types = new ArrayList<>();
        for (ModuleDescriptor.Exports export : descriptor().exports()) {
            String pkg = export.source();
            List<String> names;
            try (Stream<Path> files = Files.list(classesDir().resolve(pkg.replace('.', '/')))) {
                names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".class"))
                        .map(n -> n.substring(0, n.length() - ".class".length())).sorted().toList();
            }
            for (String name : names) {
                Class<?> type = Class.forName(pkg + "." + name);
                if (isVisible(type) && !type.isAnonymousClass()) {
                    types.add(type);
                }
            }
        }
        return types;
    }

    /** Public, and so is every type it is nested in. */
    private static boolean isVisible(Class<?> type) {
        for (Class<?> t = type; t != null; t = t.getEnclosingClass()) {
            if (!Modifier.isPublic(t.getModifiers())) {
                return false;
            }
        }
        return true;
    }
}
