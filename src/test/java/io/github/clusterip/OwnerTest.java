package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Unit tests of {@link Owner}: DNS-1123 labels, the text form, the order. */
class OwnerTest {

    @Test
    void parseAndToStringRoundTrip() {
        Owner owner = Owner.parse("kube-system/kube-dns");
        assertThat(owner.namespace()).isEqualTo("kube-system");
        assertThat(owner.name()).isEqualTo("kube-dns");
        assertThat(owner).hasToString("kube-system/kube-dns").isEqualTo(new Owner("kube-system", "kube-dns"));
        assertThat(Owner.parse(owner.toString())).isEqualTo(owner);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "0", "a-b", "1-2-3", "abc123",
        "a23456789012345678901234567890123456789012345678901234567890123"})
    void validLabelsAreAccepted(String label) {
        assertThat(new Owner(label, label).name()).isEqualTo(label);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|must not be empty",
        "-a|must start and end with an alphanumeric character",
        "a-|must start and end with an alphanumeric character",
        "A|must consist of lower case alphanumeric characters or '-'",
        "a_b|must consist of lower case alphanumeric characters or '-'",
        "a.b|must consist of lower case alphanumeric characters or '-'",
        "é|must consist of lower case alphanumeric characters or '-'",
        "a234567890123456789012345678901234567890123456789012345678901234|must be no more than 63 characters"})
    void invalidLabelsAreRefusedWithTheReason(String label, String reason) {
        assertThatThrownBy(() -> new Owner(label, "web")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid owner namespace ").hasMessageEndingWith("a DNS-1123 label " + reason);
        assertThatThrownBy(() -> new Owner("default", label)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid owner name ").hasMessageEndingWith("a DNS-1123 label " + reason);
    }

    @Test
    void untrustedTextIsQuotedInMessages() {
        assertThatThrownBy(() -> new Owner("a\nb", "web")).isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain("\n");
        assertThatThrownBy(() -> Owner.parse("x\u001b[31m")).isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain("\u001b");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "web", "a/b/c", "/web", "default/", "Default/web"})
    void parseRefusesWhatIsNotTwoLabels(String text) {
        assertThatThrownBy(() -> Owner.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid owner ");
    }

    @Test
    void parseNamesTheExpectedForm() {
        assertThatThrownBy(() -> Owner.parse("web")).hasMessage(
                "invalid owner \"web\": expected namespace/name, such as default/web");
    }

    @Test
    void nullsAreRefused() {
        assertThatNullPointerException().isThrownBy(() -> new Owner(null, "web")).withMessage("namespace");
        assertThatNullPointerException().isThrownBy(() -> new Owner("default", null)).withMessage("name");
        assertThatNullPointerException().isThrownBy(() -> Owner.parse(null)).withMessage("text");
    }

    @Test
    void ordersByNamespaceThenName() {
        List<Owner> owners = new ArrayList<>(List.of(Owner.parse("b/a"), Owner.parse("a/z"), Owner.parse("a/b"),
                Owner.parse("a-b/a")));
        Collections.sort(owners);
        assertThat(owners).extracting(Owner::toString).containsExactly("a/b", "a/z", "a-b/a", "b/a");
        assertThat(Owner.parse("a/b").compareTo(Owner.parse("a/b"))).isZero();
    }
}
