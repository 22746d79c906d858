package io.github.clusterip;

import io.github.clusterip.internal.Messages;
import java.util.Objects;

/**
 * The Service an address belongs to: its namespace and name, as the {@code parentRef} of
 * Kubernetes' IPAddress object records it.
 *
 * <p>Both parts must be DNS-1123 labels, as Kubernetes requires of a namespace and of a Service
 * name: 1 to 63 characters of lower-case ASCII letters, digits and {@code -}, starting and ending
 * with a letter or digit. {@link #toString()} is {@code namespace/name}, the form
 * {@link #parse(String)} reads.
 *
 * @param namespace the Service's namespace, such as {@code default}
 * @param name the Service's name, such as {@code kubernetes}
 */
public record Owner(String namespace, String name) implements Comparable<Owner> {

    /** The longest namespace or name, in characters. */
    private static final int MAX_LENGTH = 63;

    /**
     * Checks both parts.
     *
     * @param namespace the Service's namespace
     * @param name the Service's name
     * @throws NullPointerException if either is null
     * @throws IllegalArgumentException if either is not a DNS-1123 label, naming which and why
     */
    public Owner {
        check("namespace", namespace);
        check("name", name);
    }

    /**
     * Reads {@code namespace/name}.
     *
     * @param text the owner as text, such as {@code default/web}
     * @return the owner
     * @throws NullPointerException if {@code text} is null
     * @throws IllegalArgumentException if the text is not two DNS-1123 labels joined by {@code /}
     */
    public static Owner parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        if (slash < 0 || text.indexOf('/', slash + 1) >= 0) {
            throw new IllegalArgumentException("invalid owner " + Messages.quote(text)
                    + ": expected namespace/name, such as default/web");
        }
        return new Owner(text.substring(0, slash), text.substring(slash + 1));
    }

    private static void check(String what, String value) {
        Objects.requireNonNull(value, what);
        String problem = null;
        if (value.isEmpty()) {
            problem = "must not be empty";
        } else if (value.length() > MAX_LENGTH) {
            problem = "must be no more than " + MAX_LENGTH + " characters";
        } else {
            for (int i = 0; i < value.length() && problem == null; i++) {
                char c = value.charAt(i);
                boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
                if (!alnum && c != '-') {
                    problem = "must consist of lower case alphanumeric characters or '-'";
                } else if (!alnum && (i == 0 || i == value.length() - 1)) {
                    problem = "must start and end with an alphanumeric character";
                }
            }
        }
        if (problem != null) {
            throw new IllegalArgumentException("invalid owner " + what + " " + Messages.quote(value)
                    + ": a DNS-1123 label " + problem);
        }
    }

    /**
     * Orders by namespace, then by name.
     *
     * @param other the owner to compare with
     * @return negative, zero or positive as this owner sorts before, with or after {@code other}
     */
    @Override
    public int compareTo(Owner other) {
        int c = namespace.compareTo(other.namespace);
        return c != 0 ? c : name.compareTo(other.name);
    }

    /**
     * Returns {@code namespace/name}.
     *
     * @return the owner as text
     */
    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
