package io.github.clusterip.cli;

import io.github.clusterip.AllocationException;
import io.github.clusterip.Band;
import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.IpAddress;
import io.github.clusterip.IpAlreadyAllocatedException;
import io.github.clusterip.IpRange;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.PortAlreadyAllocatedException;
import io.github.clusterip.PortNotInRangeException;
import io.github.clusterip.PortRange;
import io.github.clusterip.RangeAllocation;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.internal.Messages;
import java.math.BigInteger;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One allocator as the commands see it, whatever it allocates: the addresses of a Service CIDR or
 * the ports of a NodePort range. The commands print both the same way; only the words differ.
 *
 * @param <T> what is allocated: an address or a port
 */
sealed interface Pool<T> permits Pool.Addresses, Pool.Ports {

    /** The range as its canonical text: {@code 10.96.0.0/24} or {@code 30000-32767}. */
    String range();

    /** The number of addresses or ports that can be allocated. */
    String usable();

    /** The band offset: the size of the static band. */
    int bandOffset();

    /** A band as "first - last (n addresses)" or "(n ports)", or empty if the range lacks it. */
    Optional<String> describe(Band band);

    /** "used U, free F" for a band, or "none" if the range lacks it. */
    String usedAndFree(Band band);

    /** The number allocated, unsigned. */
    long used();

    /** What is allocated, plural: "addresses" or "ports". */
    String noun();

    /** The allocated addresses or ports, ascending; to be closed. */
    Stream<T> allocated();

    /** Parses a {@code --static} value; a usage failure if it is not an address or a port. */
    T parse(String option, String text, String usage);

    /** Allocates a given address or port; throws the allocator's exception if it cannot. */
    void reserve(T item);

    /** Allocates the next address or port as kube-apiserver does; throws if the range is full. */
    T next();

    /** The band an allocated address or port lies in, as "static band" or "dynamic band". */
    String bandOf(T item);

    /** The state as kube-apiserver's RangeAllocation. */
    RangeAllocation snapshot();

    /** The state as a compact snapshot. */
    byte[] compactSnapshot();

    /** How a band is named in the output: "static band" or "dynamic band". */
    static String bandName(Band band) {
        return band == Band.STATIC ? "static band" : "dynamic band";
    }

    /**
     * The line that reports a refused allocation, in kube-apiserver's words.
     *
     * <p>For a requested address kube-apiserver's storage layer writes {@code failed to allocate IP
     * <ip>: <error>} (pkg/registry/core/service/storage/alloc.go). For a requested NodePort it does
     * not wrap the error: it reports it as the field error {@code spec.ports[i].nodePort: Invalid
     * value: <port>: <error>}, whose tail, the port then the error, is kept here, since a command
     * line has no Service and no port index. "range is full" is printed as the allocator says it.
     */
    static String refusal(AllocationException e) {
        if (e instanceof IpAlreadyAllocatedException taken) {
            return "failed to allocate IP " + taken.address() + ": " + e.getMessage();
        }
        if (e instanceof PortAlreadyAllocatedException taken) {
            return taken.port() + ": " + e.getMessage();
        }
        if (e instanceof PortNotInRangeException outside) {
            return outside.port() + ": " + e.getMessage();
        }
        return e.getMessage();
    }

    /** The addresses of a Service CIDR. */
    record Addresses(ClusterIpAllocator allocator) implements Pool<IpAddress> {

        private ServiceCidr cidr() {
            return allocator.cidr();
        }

        @Override
        public String range() {
            return cidr().toString();
        }

        @Override
        public String usable() {
            return cidr().usableCount().toString();
        }

        @Override
        public int bandOffset() {
            return cidr().bandOffset();
        }

        @Override
        public Optional<String> describe(Band band) {
            return band(cidr(), band).map(Addresses::describe);
        }

        /** A band as "first - last (n addresses)". */
        static String describe(IpRange band) {
            BigInteger size = band.size();
            return band + " (" + size + (size.equals(BigInteger.ONE) ? " address)" : " addresses)");
        }

        /** A band of a CIDR, if it has one. */
        static Optional<IpRange> band(ServiceCidr cidr, Band band) {
            return band == Band.STATIC ? cidr.staticBand() : cidr.dynamicBand();
        }

        @Override
        public String usedAndFree(Band band) {
            // Exact also beyond Long.MAX_VALUE: the free count of a /64's dynamic band is not a long.
            Optional<IpRange> range = band(cidr(), band);
            if (range.isEmpty()) {
                return "none";
            }
            long used = allocator.used(band);
            return "used " + used + ", free " + range.get().size().subtract(BigInteger.valueOf(used));
        }

        @Override
        public long used() {
            return allocator.used();
        }

        @Override
        public String noun() {
            return "addresses";
        }

        @Override
        public Stream<IpAddress> allocated() {
            return allocator.allocatedAddresses();
        }

        @Override
        public IpAddress parse(String option, String text, String usage) {
            try {
                return IpAddress.parse(text);
            } catch (IllegalArgumentException e) {
                throw Failure.usage(e.getMessage(), usage);
            }
        }

        @Override
        public void reserve(IpAddress address) {
            allocator.allocate(address);
        }

        @Override
        public IpAddress next() {
            return allocator.allocateNext();
        }

        @Override
        public String bandOf(IpAddress address) {
            return cidr().bandOf(address).map(Pool::bandName).orElse("outside the range");
        }

        @Override
        public RangeAllocation snapshot() {
            return allocator.snapshot();
        }

        @Override
        public byte[] compactSnapshot() {
            return allocator.compactSnapshot();
        }
    }

    /** The ports of a NodePort range. */
    record Ports(NodePortAllocator allocator) implements Pool<Integer> {

        private PortRange portRange() {
            return allocator.range();
        }

        @Override
        public String range() {
            return portRange().toString();
        }

        @Override
        public String usable() {
            // Every port of the range is usable: there is no network or broadcast port to skip.
            return Integer.toString(portRange().size());
        }

        @Override
        public int bandOffset() {
            return portRange().bandOffset();
        }

        @Override
        public Optional<String> describe(Band band) {
            return portRange().band(band).map(Ports::describe);
        }

        /** A band as "first - last (n ports)". */
        static String describe(PortRange band) {
            return band.base() + " - " + band.last() + " (" + band.size() + (band.size() == 1 ? " port)" : " ports)");
        }

        @Override
        public String usedAndFree(Band band) {
            return portRange().band(band).isEmpty() ? "none"
                    : "used " + allocator.used(band) + ", free " + allocator.free(band);
        }

        @Override
        public long used() {
            return allocator.used();
        }

        @Override
        public String noun() {
            return "ports";
        }

        @Override
        public Stream<Integer> allocated() {
            return allocator.allocatedPorts().boxed();
        }

        @Override
        public Integer parse(String option, String text, String usage) {
            if (Options.isCanonicalDecimal(text, false) && text.length() <= 5) {
                int port = Integer.parseInt(text);
                if (port <= 65535) {
                    return port;
                }
            }
            throw Failure.usage(option + " needs a port for the port range " + range() + " (decimal digits, no"
                    + " sign, no leading zero, at most 65535), not " + Messages.quote(text), usage);
        }

        @Override
        public void reserve(Integer port) {
            allocator.allocate(port);
        }

        @Override
        public Integer next() {
            return allocator.allocateNext();
        }

        @Override
        public String bandOf(Integer port) {
            return portRange().bandOf(port).map(Pool::bandName).orElse("outside the range");
        }

        @Override
        public RangeAllocation snapshot() {
            return allocator.snapshot();
        }

        @Override
        public byte[] compactSnapshot() {
            return allocator.compactSnapshot();
        }
    }
}
