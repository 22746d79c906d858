package io.github.clusterip.bench;

/**
 * Conversion between little-endian bit words (bit k = bit {@code k % 64} of {@code words[k / 64]})
 * and Go's {@code big.Int.Bytes()} (big-endian magnitude, no leading zero bytes, empty for zero),
 * the layout of kube-apiserver's RangeAllocation data. Written independently of the library's own
 * conversion, so that comparing the two is a real check.
 */
final class GoBigIntBytes {

    private GoBigIntBytes() {
    }

    static int wordsFor(int bits) {
        return (int) ((bits + 63L) >>> 6);
    }

    /** Go: {@code big.Int.Bytes()} of the number whose bits are {@code words}. */
    static byte[] toBytes(long[] words) {
        int top = words.length - 1;
        while (top >= 0 && words[top] == 0) {
            top--;
        }
        if (top < 0) {
            return new byte[0];
        }
        int topBytes = 8 - Long.numberOfLeadingZeros(words[top]) / 8;
        int length = top * 8 + topBytes;
        byte[] out = new byte[length];
        int pos = length - 1;
        for (int w = 0; w <= top; w++) {
            long word = words[w];
            int n = w == top ? topBytes : 8;
            for (int b = 0; b < n; b++) {
                out[pos--] = (byte) word;
                word >>>= 8;
            }
        }
        return out;
    }

    /** Go: {@code new(big.Int).SetBytes(data)}, checked to have no bit at or past {@code size}. */
    static long[] toWords(byte[] data, int size) {
        long[] words = new long[wordsFor(size)];
        for (int j = 0; j < data.length; j++) {
            int value = data[data.length - 1 - j] & 0xFF;
            if (value == 0) {
                continue;
            }
            long highest = j * 8L + 31 - Integer.numberOfLeadingZeros(value);
            if (highest >= size) {
                throw new IllegalArgumentException("bit " + highest + " is set, but there are only " + size + " bits");
            }
            words[j >>> 3] |= (long) value << ((j & 7) << 3);
        }
        return words;
    }

    /** Go (kube allocator): {@code countBits}, a popcount over the words. */
    static int countBits(long[] words) {
        int count = 0;
        for (long word : words) {
            count += Long.bitCount(word);
        }
        return count;
    }
}
