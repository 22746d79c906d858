package io.github.clusterip.internal;

/**
 * Puts untrusted text into error messages safely. Not part of the API: this package is not
 * exported by the module and may change in any release.
 *
 * <p>Input that a caller read from a file, a network peer or a command line ends up in exception
 * messages and from there in logs and terminals. Quoted as it is, a line feed in it forges a log
 * line, a bidi control reorders what a reader sees, and a megabyte of it makes a megabyte-long
 * message. {@link #quote(CharSequence)} therefore quotes a text once, escapes every character
 * that could do such things, and shortens long texts.
 */
public final class Messages {

    /** The most characters of the input a quote shows. */
    public static final int MAX_QUOTED = 100;

    private Messages() {
    }

    /**
     * Returns {@code text} in double quotes, fit for a one-line message: backslash and double
     * quote are escaped with a backslash, line feed, carriage return and tab as {@code \n},
     * {@code \r} and {@code \t}, and every other control (NUL among them), format (bidi controls
     * among them), line or paragraph separator, private-use, unassigned or unpaired surrogate
     * character as {@code \}{@code uXXXX}. A text longer than {@value #MAX_QUOTED} characters is
     * cut to its first {@value #MAX_QUOTED}, followed by {@code ...} inside the quotes and its
     * full length after them, for example {@code "1.1.1.1111..." (1000006 characters)}.
     *
     * @param text the untrusted text
     * @return the quoted, escaped and possibly shortened text
     * @throws NullPointerException if {@code text} is null
     */
    public static String quote(CharSequence text) {
        return quote(text, MAX_QUOTED);
    }

    /**
     * Returns {@code text} quoted and escaped as {@link #quote(CharSequence)} does, but cut after
     * {@code maxShown} characters instead of {@value #MAX_QUOTED}: for a part of an input (one
     * octet, one group) that a message shows next to the whole input, quoted already.
     *
     * <p>A cut never separates the two halves of a surrogate pair: if it would, one character
     * fewer is shown.
     *
     * @param text the untrusted text
     * @param maxShown the most characters of {@code text} to show, at least 1
     * @return the quoted, escaped and possibly shortened text
     * @throws IllegalArgumentException if {@code maxShown} is less than 1
     * @throws NullPointerException if {@code text} is null
     */
    public static String quote(CharSequence text, int maxShown) {
        if (maxShown < 1) {
            throw new IllegalArgumentException("maxShown must be at least 1, not " + maxShown);
        }
        int length = text.length();
        int shown = Math.min(length, maxShown);
        if (shown < length && Character.isHighSurrogate(text.charAt(shown - 1))
                && Character.isLowSurrogate(text.charAt(shown))) {
            shown--; // do not cut a surrogate pair in two
        }
        StringBuilder out = new StringBuilder(shown + 32).append('"');
        for (int i = 0; i < shown; i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < shown && Character.isLowSurrogate(text.charAt(i + 1))) {
                int codePoint = Character.toCodePoint(c, text.charAt(i + 1));
                if (isUnsafe(codePoint)) {
                    appendUnicodeEscape(out, c).append('\\').append('u');
                    appendHex(out, text.charAt(i + 1));
                } else {
                    out.append(c).append(text.charAt(i + 1));
                }
                i++;
                continue;
            }
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    // NUL gets the same hexadecimal escape as other controls: a backslash-zero
                    // followed by a digit of the input would read as an octal escape.
                    if (Character.isSurrogate(c) || isUnsafe(c)) {
                        appendUnicodeEscape(out, c);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (shown < length) {
            out.append("...\" (").append(length).append(" characters)");
        } else {
            out.append('"');
        }
        return out.toString();
    }

    private static boolean isUnsafe(int codePoint) {
        switch (Character.getType(codePoint)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.UNASSIGNED, Character.PRIVATE_USE -> {
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private static StringBuilder appendUnicodeEscape(StringBuilder out, char c) {
        out.append('\\').append('u');
        return appendHex(out, c);
    }

    private static StringBuilder appendHex(StringBuilder out, char c) {
        String hex = Integer.toHexString(c);
        for (int pad = hex.length(); pad < 4; pad++) {
            out.append('0');
        }
        return out.append(hex);
    }
}
