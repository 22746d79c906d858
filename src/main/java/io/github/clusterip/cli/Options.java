package io.github.clusterip.cli;

import io.github.clusterip.internal.Messages;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The arguments of one command, parsed strictly: an option the command does not know, an option
 * without its value, or a single-value option or flag given twice is refused, so that a typo
 * never silently changes what runs. {@code --name value} and {@code --name=value} are both
 * accepted; {@code --} ends the options, so that a file may be named {@code -x}; {@code -} is a
 * positional argument (standard input).
 */
final class Options {

    private final List<String> positionals = new ArrayList<>();
    private final Map<String, List<String>> values = new HashMap<>();
    private boolean help;

    private Options() {
    }

    /**
     * Parses {@code args[from..]} for a command.
     *
     * @param flags the options without a value, each allowed once
     * @param single the options with one value, each allowed once
     * @param repeatable the options with a value that may be given again and again
     * @param usage the command's usage line, for errors
     */
    static Options parse(String[] args, int from, Set<String> flags, Set<String> single, Set<String> repeatable,
            String usage) {
        Options options = new Options();
        boolean optionsEnded = false;
        for (int i = from; i < args.length; i++) {
            String arg = args[i];
            if (optionsEnded || arg.equals("-") || !arg.startsWith("-")) {
                options.positionals.add(arg);
                continue;
            }
            if (arg.equals("--")) {
                optionsEnded = true;
                continue;
            }
            if (arg.equals("--help") || arg.equals("-h")) {
                options.help = true;
                continue;
            }
            int equals = arg.indexOf('=');
            String name = equals < 0 ? arg : arg.substring(0, equals);
            if (flags.contains(name)) {
                if (equals >= 0) {
                    throw Failure.usage(name + " takes no value, but was given " + Messages.quote(arg), usage);
                }
                options.add(name, "", true, usage);
            } else if (single.contains(name) || repeatable.contains(name)) {
                String value;
                if (equals >= 0) {
                    value = arg.substring(equals + 1);
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw Failure.usage(name + " needs a value", usage);
                }
                options.add(name, value, single.contains(name), usage);
            } else {
                throw Failure.usage("unknown option " + Messages.quote(arg), usage);
            }
        }
        return options;
    }

    private void add(String name, String value, boolean once, String usage) {
        List<String> list = values.computeIfAbsent(name, n -> new ArrayList<>());
        if (once && !list.isEmpty()) {
            throw Failure.usage(name + " is given more than once; give it once", usage);
        }
        list.add(value);
    }

    /** Tells whether {@code --help} or {@code -h} was among the options. */
    boolean help() {
        return help;
    }

    /** The arguments that are not options, in order. */
    List<String> positionals() {
        return positionals;
    }

    /** Tells whether an option was given. */
    boolean has(String name) {
        return values.containsKey(name);
    }

    /** The value of a single-value option, or null if it was not given. */
    String value(String name) {
        List<String> list = values.get(name);
        return list == null ? null : list.get(0);
    }

    /** The values of a repeatable option, in order; empty if it was not given. */
    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    /**
     * Parses an unsigned decimal count: ASCII digits only, no sign, no leading zero (so
     * {@code +5}, {@code -0}, {@code 05} and {@code 5.0} are refused), at most {@code max}.
     */
    static long count(String option, String text, long max, String usage) {
        if (isCanonicalDecimal(text, false)) {
            try {
                long n = Long.parseLong(text);
                if (n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // too large: reported below
            }
        }
        throw Failure.usage(option + " needs a count from 0 to " + max
                + " in decimal digits (no sign, no leading zero), not " + Messages.quote(text), usage);
    }

    /**
     * Parses a whole number of 64 bits: ASCII digits with an optional minus sign, no plus sign, no
     * leading zero and no {@code -0}.
     */
    static long signedLong(String option, String text, String usage) {
        if (isCanonicalDecimal(text, true)) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                // out of range: reported below
            }
        }
        throw Failure.usage(option + " needs a whole number from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE
                + " in decimal digits (a minus sign but no plus sign, no leading zero), not " + Messages.quote(text),
                usage);
    }

    /** {@code 0}, or a nonzero digit and more digits, optionally after a minus sign; never {@code -0}. */
    static boolean isCanonicalDecimal(String text, boolean signed) {
        int start = signed && text.startsWith("-") ? 1 : 0;
        int length = text.length() - start;
        if (length < 1 || length > 20) {
            return false;
        }
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return text.charAt(start) != '0' || (start == 0 && length == 1);
    }
}
