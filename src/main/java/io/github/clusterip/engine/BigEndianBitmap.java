package io.github.clusterip.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Converts between an allocator's words and the bytes of kube-apiserver's RangeAllocation.
 */
/*
 * Conversion between the allocator's words (bit k = bit k % 64 of word k / 64) and the bytes of
 * Go's big.Int.Bytes() that kube-apiserver persists: the big-endian magnitude without leading zero
 * bytes, so bit k is bit k % 8 of byte data[data.length - 1 - k / 8], and no bit set means no byte.
 */
public final class BigEndianBitmap {

    /** Reads and writes a long as 8 big-endian bytes: one word of bits in Go's byte order. */
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private BigEndianBitmap() {
    }

    /**
     * Returns the bitmap in {@code words} (bit k is bit {@code k % 64} of {@code words[k / 64]}) as
     * Go's {@code big.Int.Bytes()} writes it.
     *
     * @param words the bitmap
     * @return the big-endian bytes, no leading zero byte; empty if no bit is set
     */
    public static byte[] toBytes(long[] words) {
        int top = words.length - 1;
        while (top >= 0 && words[top] == 0) {
            top--;
        }
        if (top < 0) {
            return new byte[0];
        }
        int highestBit = (top << 6) + 63 - Long.numberOfLeadingZeros(words[top]);
        int length = (highestBit >>> 3) + 1;
        byte[] data = new byte[length];
        // Word w holds stream bytes 8w..8w+7, which sit big-endian at data[length - 8(w + 1)].
        int fullWords = length >>> 3;
        for (int w = 0; w < fullWords; w++) {
            LONG_BE.set(data, length - ((w + 1) << 3), words[w]);
        }
        for (int j = fullWords << 3; j < length; j++) {
            data[length - 1 - j] = (byte) (words[j >>> 3] >>> ((j & 7) << 3));
        }
        return data;
    }

    /**
     * Returns a non-negative number's bytes as Go's {@code big.Int.Bytes()} writes them: big-endian,
     * no sign byte, no leading zero byte, empty for zero.
     *
     * @param value the number, at least 0
     * @return its magnitude
     */
    public static byte[] magnitude(java.math.BigInteger value) {
        if (value.signum() == 0) {
            return new byte[0];
        }
        byte[] bytes = value.toByteArray();
        return bytes[0] == 0 ? java.util.Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }

    /**
     * Reads {@code data} into words for a bitmap of {@code size} bits. Leading zero bytes are
     * accepted, as Go's big.Int.SetBytes accepts them; a set bit at or past {@code size} is an error.
     *
     * @param data the bytes of a RangeAllocation
     * @param size the number of bits of the range, at most {@link BandedAllocator#DENSE_LIMIT}
     * @param range the range's text, for the error message
     * @param elements what the range holds, for the error message: "usable addresses" or "ports"
     * @return {@code ceil(size / 64)} words
     * @throws IllegalArgumentException if a bit at or past {@code size} is set
     */
    public static long[] toWords(byte[] data, int size, String range, String elements) {
        int first = 0;
        while (first < data.length && data[first] == 0) {
            first++;
        }
        long[] words = new long[(int) HierarchicalBitmap.wordsFor(size)];
        if (first == data.length) {
            return words;
        }
        long significant = data.length - first;
        long highestBit = (significant - 1) * 8 + 31 - Integer.numberOfLeadingZeros(data[first] & 0xFF);
        if (highestBit >= size) {
            throw new IllegalArgumentException("invalid RangeAllocation data for " + range + ": bit " + highestBit
                    + " is set, but the range has only " + size + " " + elements + " (bits 0 to " + (size - 1)
                    + ")");
        }
        int fullWords = (int) (significant >>> 3);
        for (int w = 0; w < fullWords; w++) {
            words[w] = (long) LONG_BE.get(data, data.length - ((w + 1) << 3));
        }
        for (int j = fullWords << 3; j < significant; j++) {
            long b = data[data.length - 1 - j] & 0xFF;
            words[j >>> 3] |= b << ((j & 7) << 3);
        }
        return words;
    }
}
