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

    @Test
    void moduleExportsOnlyTheApiPackageAndRequiresNothingButJavaBase() throws Exception {
        ModuleDescriptor descriptor;
        try (InputStream in = Files.newInputStream(classesDir().resolve("module-info.class"))) {
            descriptor = ModuleDescriptor.read(in);
        }
        assertThat(descriptor.name()).isEqualTo("io.github.clusterip");
        assertThat(descriptor.exports()).hasSize(1);
        ModuleDescriptor.Exports export = descriptor.exports().iterator().next();
        assertThat(export.source()).isEqualTo("io.github.clusterip");
        assertThat(export.isQualified()).isFalse();
        assertThat(descriptor.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()))
                .isEqualTo(Set.of("java.base"));
        assertThat(descriptor.opens()).isEmpty();
    }

    @Test
    void everyPublicTypeIsFinalSealedOrAnInterface() throws Exception {
        List<Class<?>> publicTypes = publicTypes();
        assertThat(publicTypes).extracting(Class::getSimpleName).contains("IpAddress", "ServiceCidr", "IpRange",
                "ClusterIpAllocator", "RangeAllocation", "AllocationException", "RangeFullException",
                "IpAlreadyAllocatedException", "IpNotInRangeException", "IpFamily", "Band", "ScanStrategy");
        for (Class<?> type : publicTypes) {
            boolean closed = Modifier.isFinal(type.getModifiers()) || type.isInterface() || type.isSealed();
            assertThat(closed).as("%s is final, sealed or an interface", type.getName()).isTrue();
        }
    }

    @Test
    void exceptionsAreUncheckedUnderOneSealedParent() {
        assertThat(AllocationException.class.getPermittedSubclasses()).containsExactlyInAnyOrder(
                RangeFullException.class, IpAlreadyAllocatedException.class, IpNotInRangeException.class);
        assertThat(RuntimeException.class).isAssignableFrom(AllocationException.class);
    }

    private static List<Class<?>> publicTypes() throws IOException, URISyntaxException, ClassNotFoundException {
        Path dir = classesDir().resolve("io/github/clusterip");
        List<String> names;
        try (Stream<Path> files = Files.list(dir)) {
            names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".class"))
                    .map(n -> n.substring(0, n.length() - ".class".length())).sorted().toList();
        }
        List<Class<?>> types = new java.util.ArrayList<>();
        for (String name : names) {
            Class<?> type = Class.forName("io.github.clusterip." + name.replace('$', '$'));
            boolean visible = Modifier.isPublic(type.getModifiers())
                    && (type.getEnclosingClass() == null || Modifier.isPublic(type.getEnclosingClass().getModifiers()));
            if (visible && !type.isAnonymousClass()) {
                types.add(type);
            }
        }
        return types;
    }
}
