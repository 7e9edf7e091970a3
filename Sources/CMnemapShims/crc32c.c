#include "CMnemapShims.h"

#include <string.h>

/// Buffers shorter than this take one chain: below it, the combination costs more than it saves.
#define CRC32C_THREE_WAY_MINIMUM 128

static uint32_t table[8][256];
static int table_ready = 0;

static void build_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t crc = i;
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
        table[0][i] = crc;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++) table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
    }
    __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

/// Slicing-by-8 in software.
static uint32_t crc32c_software(uint32_t crc, const unsigned char *p, size_t n) {
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) build_table();
    while (n && ((uintptr_t)p & 7)) { crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF]; n--; }
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= crc;
        crc = table[7][word & 0xFF] ^ table[6][(word >> 8) & 0xFF] ^ table[5][(word >> 16) & 0xFF] ^
              table[4][(word >> 24) & 0xFF] ^ table[3][(word >> 32) & 0xFF] ^ table[2][(word >> 40) & 0xFF] ^
              table[1][(word >> 48) & 0xFF] ^ table[0][word >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF];
    return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>
#include <wmmintrin.h>

/// One chain of `crc32` instructions: 8 bytes per instruction (unaligned loads are as fast as
/// aligned ones on x86-64), then 4, 2, 1 for the tail.
__attribute__((target("sse4.2")))
static uint32_t crc32c_serial(uint32_t crc, const unsigned char *p, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    if (n & 4) { uint32_t w; memcpy(&w, p, 4); c32 = _mm_crc32_u32(c32, w); p += 4; }
    if (n & 2) { uint16_t w; memcpy(&w, p, 2); c32 = _mm_crc32_u16(c32, w); p += 2; }
    if (n & 1) c32 = _mm_crc32_u8(c32, *p);
    return c32;
}

// Three interleaved chains (as in Intel's crc_pcl and Linux's crc32c-pcl-intel): the `crc32`
// instruction has a latency of 3 cycles and a throughput of 1 per cycle, so one chain uses a third
// of it. A buffer is cut into three blocks of B bytes that are checksummed at once (the first
// continuing from the running CRC, the other two from 0), and the results are combined:
//
//   crc(A ‖ B) = crc(A) · x^(8|B|) ⊕ crc₀(B)   (mod P, in the raw, not inverted, CRC state)
//
// The multiplication by x^(8B) is one carry-less multiply by K_B = x^(8B−33) mod P and one
// `crc32` of the 64-bit product: for the bit-reflected values the hardware uses, clmul(c, K)
// represents c·K·x, and crc32_u64(0, d) computes d·x^32, so the result is c·x^(8B) mod P.
#define CRC32C_SHIFT_WORDS 256  // blocks of up to 256 words (2 KiB): rounds of up to 6 KiB

static uint32_t shift_constants[CRC32C_SHIFT_WORDS];  // [w - 1]: K for blocks of w words
static int shift_ready = 0;

/// Multiplies a bit-reflected polynomial by x, modulo the CRC32C polynomial.
static uint32_t times_x(uint32_t value) {
    return (value >> 1) ^ (0x82F63B78u & (0u - (value & 1u)));
}

static void build_shift_constants(void) {
    uint32_t k = 1;  // x^31 = x^(8·8 − 33): blocks of one word
    for (int w = 0; w < CRC32C_SHIFT_WORDS; w++) {
        shift_constants[w] = k;
        for (int bit = 0; bit < 64; bit++) k = times_x(k);
    }
    __atomic_store_n(&shift_ready, 1, __ATOMIC_RELEASE);
}

/// c · x^(8 · 8 · words) mod P, for 1 <= words <= CRC32C_SHIFT_WORDS.
__attribute__((target("sse4.2,pclmul")))
static uint32_t crc32c_shift(uint32_t c, size_t words) {
    __m128i product = _mm_clmulepi64_si128(_mm_cvtsi32_si128((int)c), _mm_cvtsi32_si128((int)shift_constants[words - 1]), 0x00);
    return (uint32_t)_mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(product));
}

__attribute__((target("sse4.2,pclmul")))
static uint32_t crc32c_three_way(uint32_t crc, const unsigned char *p, size_t n) {
    if (!__atomic_load_n(&shift_ready, __ATOMIC_ACQUIRE)) build_shift_constants();
    while (n >= CRC32C_THREE_WAY_MINIMUM) {
        size_t words = n / 24;
        if (words > CRC32C_SHIFT_WORDS) words = CRC32C_SHIFT_WORDS;
        size_t block = words * 8;
        const unsigned char *p1 = p + block, *p2 = p + 2 * block;
        uint64_t c0 = crc, c1 = 0, c2 = 0;
        for (size_t i = 0; i < block; i += 8) {
            uint64_t w0, w1, w2;
            memcpy(&w0, p + i, 8);
            memcpy(&w1, p1 + i, 8);
            memcpy(&w2, p2 + i, 8);
            c0 = _mm_crc32_u64(c0, w0);
            c1 = _mm_crc32_u64(c1, w1);
            c2 = _mm_crc32_u64(c2, w2);
        }
        crc = crc32c_shift((uint32_t)c0, words) ^ (uint32_t)c1;
        crc = crc32c_shift(crc, words) ^ (uint32_t)c2;
        p += 3 * block;
        n -= 3 * block;
    }
    return crc32c_serial(crc, p, n);
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_hardware(uint32_t crc, const unsigned char *p, size_t n) {
    return crc32c_serial(crc, p, n);
}

/// `crc32c_serial` over `src` while copying it to `dst`: each word is loaded once.
__attribute__((target("sse4.2")))
static uint32_t crc32c_copy_serial(uint32_t crc, unsigned char *dst, const unsigned char *src, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, src, 8);
        memcpy(dst, &word, 8);
        c = _mm_crc32_u64(c, word);
        src += 8;
        dst += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    if (n & 4) { uint32_t w; memcpy(&w, src, 4); memcpy(dst, &w, 4); c32 = _mm_crc32_u32(c32, w); src += 4; dst += 4; }
    if (n & 2) { uint16_t w; memcpy(&w, src, 2); memcpy(dst, &w, 2); c32 = _mm_crc32_u16(c32, w); src += 2; dst += 2; }
    if (n & 1) { *dst = *src; c32 = _mm_crc32_u8(c32, *src); }
    return c32;
}

/// `crc32c_three_way` while copying.
__attribute__((target("sse4.2,pclmul")))
static uint32_t crc32c_copy_three_way(uint32_t crc, unsigned char *dst, const unsigned char *src, size_t n) {
    if (!__atomic_load_n(&shift_ready, __ATOMIC_ACQUIRE)) build_shift_constants();
    while (n >= CRC32C_THREE_WAY_MINIMUM) {
        size_t words = n / 24;
        if (words > CRC32C_SHIFT_WORDS) words = CRC32C_SHIFT_WORDS;
        size_t block = words * 8;
        const unsigned char *s1 = src + block, *s2 = src + 2 * block;
        unsigned char *d1 = dst + block, *d2 = dst + 2 * block;
        uint64_t c0 = crc, c1 = 0, c2 = 0;
        for (size_t i = 0; i < block; i += 8) {
            uint64_t w0, w1, w2;
            memcpy(&w0, src + i, 8);
            memcpy(&w1, s1 + i, 8);
            memcpy(&w2, s2 + i, 8);
            memcpy(dst + i, &w0, 8);
            memcpy(d1 + i, &w1, 8);
            memcpy(d2 + i, &w2, 8);
            c0 = _mm_crc32_u64(c0, w0);
            c1 = _mm_crc32_u64(c1, w1);
            c2 = _mm_crc32_u64(c2, w2);
        }
        crc = crc32c_shift((uint32_t)c0, words) ^ (uint32_t)c1;
        crc = crc32c_shift(crc, words) ^ (uint32_t)c2;
        src += 3 * block;
        dst += 3 * block;
        n -= 3 * block;
    }
    return crc32c_copy_serial(crc, dst, src, n);
}
static int has_hardware(void) { return __builtin_cpu_supports("sse4.2"); }
static int has_carryless_multiply(void) { return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul"); }
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
static uint32_t crc32c_hardware(uint32_t crc, const unsigned char *p, size_t n) {
    while (n && ((uintptr_t)p & 7)) { crc = __crc32cb(crc, *p++); n--; }
    while (n >= 8) { uint64_t w; memcpy(&w, p, 8); crc = __crc32cd(crc, w); p += 8; n -= 8; }
    while (n--) crc = __crc32cb(crc, *p++);
    return crc;
}
static uint32_t crc32c_three_way(uint32_t crc, const unsigned char *p, size_t n) { return crc32c_hardware(crc, p, n); }
static uint32_t crc32c_copy_serial(uint32_t crc, unsigned char *dst, const unsigned char *src, size_t n) { memcpy(dst, src, n); return crc32c_hardware(crc, src, n); }
static uint32_t crc32c_copy_three_way(uint32_t crc, unsigned char *dst, const unsigned char *src, size_t n) { return crc32c_copy_serial(crc, dst, src, n); }
static int has_hardware(void) { return 1; }
static int has_carryless_multiply(void) { return 0; }
#else
static uint32_t crc32c_hardware(uint32_t crc, const unsigned char *p, size_t n) { return crc32c_software(crc, p, n); }
static uint32_t crc32c_three_way(uint32_t crc, const unsigned char *p, size_t n) { return crc32c_software(crc, p, n); }
static uint32_t crc32c_copy_serial(uint32_t crc, unsigned char *dst, const unsigned char *src, size_t n) { memcpy(dst, src, n); return crc32c_software(crc, src, n); }
static uint32_t crc32c_copy_three_way(uint32_t crc, unsigned char *dst, const unsigned char *src, size_t n) { return crc32c_copy_serial(crc, dst, src, n); }
static int has_hardware(void) { return 0; }
static int has_carryless_multiply(void) { return 0; }
#endif

int mnemap_crc32c_is_hardware(void) { return has_hardware(); }

int mnemap_crc32c_is_interleaved(void) { return has_carryless_multiply(); }

// 0: software tables; 1: one chain of `crc32`; 2: three chains combined with a carry-less multiply
// for buffers of CRC32C_THREE_WAY_MINIMUM bytes and more.
static int crc32c_mode(void) {
    static int mode = -1;  // benign race: every thread computes the same answer
    if (mode < 0) mode = has_carryless_multiply() ? 2 : has_hardware() ? 1 : 0;
    return mode;
}

uint32_t mnemap_crc32c(uint32_t crc, const void *bytes, size_t length) {
    int mode = crc32c_mode();
    crc = ~crc;
    if (mode == 2 && length >= CRC32C_THREE_WAY_MINIMUM) {
        crc = crc32c_three_way(crc, (const unsigned char *)bytes, length);
    } else if (mode >= 1) {
        crc = crc32c_hardware(crc, (const unsigned char *)bytes, length);
    } else {
        crc = crc32c_software(crc, (const unsigned char *)bytes, length);
    }
    return ~crc;
}

uint32_t mnemap_crc32c_variant(int variant, uint32_t crc, const void *bytes, size_t length) {
    int mode = crc32c_mode();
    if (variant > mode) variant = mode;
    crc = ~crc;
    switch (variant) {
    case 2: crc = crc32c_three_way(crc, (const unsigned char *)bytes, length); break;
    case 1: crc = crc32c_hardware(crc, (const unsigned char *)bytes, length); break;
    default: crc = crc32c_software(crc, (const unsigned char *)bytes, length); break;
    }
    return ~crc;
}

uint32_t mnemap_crc32c_copy(uint32_t crc, void *destination, const void *source, size_t length) {
    int mode = crc32c_mode();
    unsigned char *dst = (unsigned char *)destination;
    const unsigned char *src = (const unsigned char *)source;
    crc = ~crc;
    if (mode == 2 && length >= CRC32C_THREE_WAY_MINIMUM) {
        crc = crc32c_copy_three_way(crc, dst, src, length);
    } else if (mode >= 1) {
        crc = crc32c_copy_serial(crc, dst, src, length);
    } else {
        memcpy(dst, src, length);
        crc = crc32c_software(crc, src, length);
    }
    return ~crc;
}
