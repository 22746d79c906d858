package io.github.clusterip;

import io.github.clusterip.engine.BandRule;
import io.github.clusterip.internal.Messages;
import java.util.Objects;
import java.util.Optional;

/**
 * A range of ports for NodePort Services, such as kube-apiserver's default {@code 30000-32767},
 * and the two bands Kubernetes splits it into.
 *
 * <p>The rule, as kube-apiserver's NodePort allocator implements KEP-3668:
 * <ul>
 *   <li>every port of the range is usable: there is no network or broadcast port to skip, and
 *       port k (from 0) is {@code base + k};</li>
 *   <li>the band offset is 0 when the size is at most 16, otherwise
 *       min(max(16, size / 32), 128);</li>
 *   <li>the {@linkplain #staticBand() static band} is the first {@code offset} ports, the
 *       {@linkplain #dynamicBand() dynamic band} all the others.</li>
 * </ul>
 * For the default range {@code 30000-32767}: size 2768, offset 86, static band
 * {@code 30000-30085}, dynamic band {@code 30086-32767}.
 *
 * <p>This class is immutable and thread-safe.
 */
public final class PortRange {

    private static final int MAX_PORT = 65535;

    /** The most characters of one part of the input (a number) that a message shows. */
    private static final int PART_SHOWN = 20;

    /**
     * Numbers are read up to this magnitude and no further: every larger one is as far out of
     * range, and a million digits must neither overflow nor cost more than one pass.
     */
    private static final long SATURATED = 1_000_000_000_000L;

    /**
     * kube-apiserver's default {@code --service-node-port-range}, {@code 30000-32767}: 2768 ports,
     * band offset 86.
     */
    public static final PortRange DEFAULT = new PortRange(30000, 2768);

    private final int base;
    private final int size;

    private PortRange(int base, int size) {
        this.base = base;
        this.size = size;
    }

    /**
     * Parses a port range in the syntax of kube-apiserver's {@code --service-node-port-range}.
     *
     * <p>Three forms are accepted, after leading and trailing white space is dropped (Unicode
     * White_Space, as Go's {@code strings.TrimSpace} drops it, so a no-break space goes too):
     * <ul>
     *   <li>{@code first-last}, both ports included: {@code 30000-32767};</li>
     *   <li>{@code base+offset}, the ports from {@code base} to {@code base + offset}:
     *       {@code 30000+2767} is {@code 30000-32767}, and {@code 80+0} is port 80 alone;</li>
     *   <li>one port: {@code 30000} is {@code 30000-30000}.</li>
     * </ul>
     * Ports go from 0 to 65535. Numbers are decimal, of ASCII digits, and leading zeros do not
     * make them octal: {@code 030000} is 30000. A text with both a {@code -} and a {@code +} is
     * rejected. kube-apiserver reads each number with Go's {@code strconv.Atoi}, which takes a
     * sign, so two odd forms pass there and here alike: {@code 0--0} (port 0; any other negative
     * end is below the start) and {@code 100++5} ({@code 100-105}).
     *
     * <p>One difference: kube-apiserver takes an empty text for "unset" and uses its default
     * range; this method rejects it, as a range has at least one port. Use {@link #DEFAULT} for
     * that default.
     *
     * <p>A parse error's message quotes the input once, escaped and shortened, and says what is
     * wrong, in kube-apiserver's words where it has them: {@code invalid port range "32767-30000":
     * end port cannot be less than start port: 30000 is less than 32767}.
     *
     * @param text the range, for example {@code "30000-32767"}, {@code "30000+2767"} or
     *     {@code "30000"}
     * @return the range
     * @throws IllegalArgumentException if {@code text} is not a port range; the message quotes the
     *     input and says what is wrong with it
     * @throws NullPointerException if {@code text} is null
     */
    public static PortRange parse(String text) {
        Objects.requireNonNull(text, "text");
        int from = 0;
        int to = text.length();
        while (from < to && isGoSpace(text.charAt(from))) {
            from++;
        }
        while (to > from && isGoSpace(text.charAt(to - 1))) {
            to--;
        }
        if (from == to) {
            throw invalid(text, (text.isEmpty() ? "it is empty" : "it is only white space")
                    + "; kube-apiserver reads an empty --service-node-port-range as its default, "
                    + DEFAULT);
        }
        String value = text.substring(from, to);
        int hyphen = value.indexOf('-');
        int plus = value.indexOf('+');
        if (hyphen >= 0 && plus >= 0) {
            throw invalid(text, "unable to parse port range: it has both a '-' and a '+'"
                    + " (expected first-last, base+offset or a single port)");
        }
        long low;
        long high;
        if (hyphen >= 0) {
            String startText = value.substring(0, hyphen);
            String endText = value.substring(hyphen + 1);
            low = number(text, startText, "the start port");
            high = number(text, endText, "the end port");
            if (low > MAX_PORT) {
                throw invalid(text, tooHigh("the start port is " + shown(startText, low)));
            }
            if (high > MAX_PORT) {
                throw invalid(text, tooHigh("the end port is " + shown(endText, high)));
            }
            if (high < low) {
                throw invalid(text, "end port cannot be less than start port: " + shown(endText, high)
                        + " is less than " + low);
            }
        } else if (plus >= 0) {
            String baseText = value.substring(0, plus);
            String offsetText = value.substring(plus + 1);
            low = number(text, baseText, "the base port");
            long offset = number(text, offsetText, "the offset");
            if (low > MAX_PORT) {
                throw invalid(text, tooHigh("the base port is " + shown(baseText, low)));
            }
            if (offset > MAX_PORT) {
                throw invalid(text, tooHigh("the offset is " + shown(offsetText, offset)));
            }
            high = low + offset; // both at most 65535: no overflow
            if (high > MAX_PORT) {
                throw invalid(text, tooHigh(low + "+" + offset + " ends at " + high));
            }
        } else {
            low = number(text, value, "the port");
            high = low;
            if (low > MAX_PORT) {
                throw invalid(text, tooHigh("the port is " + shown(value, low)));
            }
        }
        return new PortRange((int) low, (int) (high - low + 1));
    }

    /**
     * Returns the range of {@code size} ports from {@code base}, the two numbers kube-apiserver
     * keeps for a range.
     *
     * @param base the first port of the range, from 0 to 65535
     * @param size the number of ports, at least 1, and {@code base + size - 1} at most 65535
     * @return the range {@code base-(base + size - 1)}
     * @throws IllegalArgumentException if {@code base} is not a port, {@code size} is less than 1,
     *     or the range would end above port 65535
     */
    public static PortRange of(int base, int size) {
        String prefix = "invalid port range of base " + base + " and size " + size + ": ";
        if (base < 0 || base > MAX_PORT) {
            throw new IllegalArgumentException(prefix + "the base port is not between 0 and " + MAX_PORT);
        }
        if (size < 1) {
            throw new IllegalArgumentException(prefix + "a range has at least one port");
        }
        long last = (long) base + size - 1;
        if (last > MAX_PORT) {
            throw new IllegalArgumentException(prefix + tooHigh("it would end at " + last));
        }
        return new PortRange(base, size);
    }

    /**
     * Returns the first port of the range.
     *
     * @return the lowest port, from 0 to 65535
     */
    public int base() {
        return base;
    }

    /**
     * Returns the last port of the range, which the range includes.
     *
     * @return {@code base() + size() - 1}, from {@link #base()} to 65535
     */
    public int last() {
        return base + size - 1;
    }

    /**
     * Returns the number of ports in the range, every one of them usable.
     *
     * @return the size, from 1 to 65536
     */
    public int size() {
        return size;
    }

    /**
     * Returns the Kubernetes band offset: 0 when the size is at most 16, otherwise
     * min(max(16, size / 32), 128). It is the size of the static band.
     *
     * @return the band offset, 0 or from 16 to 128, always less than {@link #size()}
     */
    public int bandOffset() {
        return (int) BandRule.NODE_PORTS.offset(size);
    }

    /**
     * Returns the static (lower) band: the first {@link #bandOffset()} ports, from which dynamic
     * allocation takes only when the dynamic band is full.
     *
     * @return the static band, or empty if the offset is 0 (a range of 16 ports or fewer)
     */
    public Optional<PortRange> staticBand() {
        int offset = bandOffset();
        return offset == 0 ? Optional.empty() : Optional.of(new PortRange(base, offset));
    }

    /**
     * Returns the dynamic (upper) band: the ports above the static band, where dynamic allocation
     * starts. It is never empty, as the offset is always less than the size; it is the whole
     * range when the offset is 0.
     *
     * @return the dynamic band, from {@code base() + bandOffset()} to {@link #last()}
     */
    public PortRange dynamicBand() {
        int offset = bandOffset();
        return offset == 0 ? this : new PortRange(base + offset, size - offset);
    }

    /**
     * Returns one of the two bands: {@link #staticBand()} for {@link Band#STATIC} and
     * {@link #dynamicBand()} for {@link Band#DYNAMIC}.
     *
     * @param band the band to return
     * @return that band's ports, or empty if the band holds no port in this range
     * @throws NullPointerException if {@code band} is null
     */
    public Optional<PortRange> band(Band band) {
        Objects.requireNonNull(band, "band");
        return switch (band) {
            case STATIC -> staticBand();
            case DYNAMIC -> Optional.of(dynamicBand());
        };
    }

    /**
     * Tells whether a port lies in this range.
     *
     * @param port the port to test; any {@code int}
     * @return true if {@code port} is from {@link #base()} to {@link #last()}, both included
     */
    public boolean contains(int port) {
        return port >= base && port <= last();
    }

    /**
     * Returns the band a port of this range belongs to.
     *
     * @param port the port to classify; any {@code int}
     * @return its band, or empty if {@code port} is not in this range
     */
    public Optional<Band> bandOf(int port) {
        if (!contains(port)) {
            return Optional.empty();
        }
        return Optional.of(port - base < bandOffset() ? Band.STATIC : Band.DYNAMIC);
    }

    /**
     * Tells whether {@code obj} is a port range with the same base and size.
     *
     * @param obj the object to compare with
     * @return true if {@code obj} is an equal range
     */
    @Override
    public boolean equals(Object obj) {
        if (this == obj) {
            return true;
        }
        if (!(obj instanceof PortRange)) {
            return false;
        }
        PortRange that = (PortRange) obj;
        return base == that.base && size == that.size;
    }

    /**
     * Returns a hash code consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return 31 * base + size;
    }

    /**
     * Returns the canonical text {@code first-last}, as kube-apiserver writes a range (in a
     * RangeAllocation, and in the "valid ports" error), a single port included:
     * {@code 30000-30000}. {@link #parse(String)} turns it back into an equal range.
     *
     * @return the canonical form, for example {@code "30000-32767"}
     */
    @Override
    public String toString() {
        return base + "-" + last();
    }

    /**
     * Reads one number as Go's {@code strconv.Atoi} does: an optional sign, then one or more ASCII
     * digits. The value is saturated at {@link #SATURATED} in magnitude.
     */
    private static long number(String text, String part, String what) {
        if (part.isEmpty()) {
            throw invalid(text, what + " is missing");
        }
        int i = 0;
        boolean negative = false;
        char first = part.charAt(0);
        if (first == '+' || first == '-') {
            negative = first == '-';
            i = 1;
        }
        if (i == part.length()) {
            throw notANumber(text, part, what);
        }
        long value = 0;
        for (; i < part.length(); i++) {
            char c = part.charAt(i);
            if (c < '0' || c > '9') {
                throw notANumber(text, part, what);
            }
            value = Math.min(value * 10 + (c - '0'), SATURATED);
        }
        return negative ? -value : value;
    }

    private static IllegalArgumentException notANumber(String text, String part, String what) {
        return invalid(text, what + " " + Messages.quote(part, PART_SHOWN) + " is not a decimal number");
    }

    /** The number as read, or the quoted text if it was too long to read in full. */
    private static String shown(String part, long value) {
        return Math.abs(value) < SATURATED ? Long.toString(value) : Messages.quote(part, PART_SHOWN);
    }

    private static String tooHigh(String detail) {
        return "the port range cannot be greater than " + MAX_PORT + ": " + detail;
    }

    /**
     * Tells whether Go's {@code unicode.IsSpace} holds: the Unicode White_Space property. Every
     * such character is in the Basic Multilingual Plane, so one {@code char} decides.
     */
    private static boolean isGoSpace(char c) {
        switch (c) {
            case '\t', '\n', '\u000b', '\f', '\r', ' ', '\u0085', '\u00a0', '\u1680', '\u2028', '\u2029',
                    '\u202f', '\u205f', '\u3000' -> {
                return true;
            }
            default -> {
                return c >= '\u2000' && c <= '\u200a';
            }
        }
    }

    private static IllegalArgumentException invalid(String text, String problem) {
        return new IllegalArgumentException("invalid port range " + Messages.quote(text) + ": " + problem);
    }
}
