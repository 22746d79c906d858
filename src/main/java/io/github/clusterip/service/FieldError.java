package io.github.clusterip.service;

import io.github.clusterip.internal.Messages;
import java.util.List;
import java.util.Objects;

/**
 * One field error of a refused Service, as Kubernetes' {@code field.Error}: the field's path
 * (such as {@code spec.ports[0].nodePort}), the kind of error, the value and the detail.
 * {@link #toString()} is the text kube-apiserver prints, such as
 * {@code spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated}.
 *
 * @param field the field's path
 * @param type the kind of error
 * @param value the value as kube-apiserver prints it (Go syntax: {@code "text"},
 *        {@code []string{"a", "b"}}, {@code 30080}), or empty for the kinds that print none
 * @param detail the reason, possibly empty
 */
public record FieldError(String field, Type type, String value, String detail) {

    /**
     * Checks that no part is null.
     *
     * @param field the field's path
     * @param type the kind of error
     * @param value the printed value
     * @param detail the reason
     * @throws NullPointerException if any part is null
     */
    public FieldError {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(detail, "detail");
    }

    /**
     * The kinds of field error ({@code field.ErrorType}) this package reports.
     */
    public enum Type {
        /** {@code Invalid value}. */
        INVALID("Invalid value", true),
        /** {@code Required value}. */
        REQUIRED("Required value", false),
        /** {@code Forbidden}. */
        FORBIDDEN("Forbidden", false),
        /** {@code Duplicate value}. */
        DUPLICATE("Duplicate value", true),
        /** {@code Unsupported value}. */
        NOT_SUPPORTED("Unsupported value", true);

        private final String text;
        private final boolean printsValue;

        Type(String text, boolean printsValue) {
            this.text = text;
            this.printsValue = printsValue;
        }

        /**
         * Returns the text Kubernetes prints for this kind, such as {@code Invalid value}.
         *
         * @return the text
         */
        public String text() {
            return text;
        }
    }

    static FieldError invalid(String field, String printedValue, String detail) {
        return new FieldError(field, Type.INVALID, printedValue, detail);
    }

    static FieldError forbidden(String field, String detail) {
        return new FieldError(field, Type.FORBIDDEN, "", detail);
    }

    static FieldError duplicate(String field, String printedValue) {
        return new FieldError(field, Type.DUPLICATE, printedValue, "");
    }

    /** Prints a text as Go's {@code %q} does (untrusted text is escaped). */
    static String str(String s) {
        return Messages.quote(s);
    }

    /** Prints a list of texts as Go's {@code %#v} prints a {@code []string}. */
    static String strings(List<String> values) {
        StringBuilder b = new StringBuilder("[]string{");
        for (int i = 0; i < values.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(Messages.quote(values.get(i)));
        }
        return b.append('}').toString();
    }

    /**
     * Returns the error as kube-apiserver prints it: {@code field: Type: value: detail}, without
     * the value for Required and Forbidden, and without the detail when it is empty.
     *
     * @return the text
     */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(field).append(": ").append(type.text);
        if (type.printsValue) {
            b.append(": ").append(value);
        }
        if (!detail.isEmpty()) {
            b.append(": ").append(detail);
        }
        return b.toString();
    }
}
