#include "CMnemapShims.h"

#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>

static int level = -1;

int mnemap_kernel_level(void) {
    if (level < 0) {
        __builtin_cpu_init();
        int supported = (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) ? 1 : 0;
        // MNEMAP_KERNEL_LEVEL=0 forces the portable code (to test it, or to compare).
        const char *forced = getenv("MNEMAP_KERNEL_LEVEL");
        if (forced != NULL && forced[0] == '0' && forced[1] == 0) supported = 0;
        level = supported;
    }
    return level;
}

__attribute__((target("avx2,fma")))
static inline float hsum(__m256 v) {
    __m128 low = _mm256_castps256_ps128(v);
    __m128 high = _mm256_extractf128_ps(v, 1);
    low = _mm_add_ps(low, high);
    __m128 shuffled = _mm_movehdup_ps(low);
    __m128 sums = _mm_add_ps(low, shuffled);
    shuffled = _mm_movehl_ps(shuffled, sums);
    sums = _mm_add_ss(sums, shuffled);
    return _mm_cvtss_f32(sums);
}

__attribute__((target("avx2,fma")))
float mnemap_dot_f32(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float sum = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

__attribute__((target("avx2,fma")))
float mnemap_l2sq_f32(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
        __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
        s2 = _mm256_fmadd_ps(d2, d2, s2);
        s3 = _mm256_fmadd_ps(d3, d3, s3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    float sum = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) { float d = a[i] - b[i]; sum += d * d; }
    return sum;
}

__attribute__((target("avx2,fma,f16c")))
static inline __m256 load_half(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

__attribute__((target("avx2,fma,f16c")))
static inline float half_to_float(uint16_t h) {
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}

__attribute__((target("avx2,fma,f16c")))
float mnemap_dot_f32_f16(const float *a, const uint16_t *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), load_half(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), load_half(b + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), load_half(b + i), s0);
    float sum = hsum(_mm256_add_ps(s0, s1));
    for (; i < n; i++) sum += a[i] * half_to_float(b[i]);
    return sum;
}

__attribute__((target("avx2,fma,f16c")))
float mnemap_l2sq_f32_f16(const float *a, const uint16_t *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), load_half(b + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    float sum = hsum(s0);
    for (; i < n; i++) { float d = a[i] - half_to_float(b[i]); sum += d * d; }
    return sum;
}

__attribute__((target("avx2,fma,f16c")))
float mnemap_dot_f16_f16(const uint16_t *a, const uint16_t *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(load_half(a + i), load_half(b + i), s0);
    float sum = hsum(s0);
    for (; i < n; i++) sum += half_to_float(a[i]) * half_to_float(b[i]);
    return sum;
}

__attribute__((target("avx2,fma,f16c")))
float mnemap_l2sq_f16_f16(const uint16_t *a, const uint16_t *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(load_half(a + i), load_half(b + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    float sum = hsum(s0);
    for (; i < n; i++) { float d = half_to_float(a[i]) - half_to_float(b[i]); sum += d * d; }
    return sum;
}

__attribute__((target("avx2")))
int32_t mnemap_dot_i8(const int8_t *a, const int8_t *b, size_t n) {
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i a0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
        __m256i a1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i + 16)));
        __m256i b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i + 16)));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(a0, b0));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(a1, b1));
    }
    for (; i + 16 <= n; i += 16) {
        __m256i a0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(a0, b0));
    }
    __m256i s = _mm256_add_epi32(s0, s1);
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4E));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1));
    int32_t sum = _mm_cvtsi128_si32(t);
    for (; i < n; i++) sum += (int32_t)a[i] * (int32_t)b[i];
    return sum;
}

#else
int mnemap_kernel_level(void) { return 0; }
float mnemap_dot_f32(const float *a, const float *b, size_t n) { float s = 0; for (size_t i = 0; i < n; i++) s += a[i] * b[i]; return s; }
float mnemap_l2sq_f32(const float *a, const float *b, size_t n) { float s = 0; for (size_t i = 0; i < n; i++) { float d = a[i] - b[i]; s += d * d; } return s; }
float mnemap_dot_f32_f16(const float *a, const uint16_t *b, size_t n) { (void)a; (void)b; (void)n; return 0; }
float mnemap_l2sq_f32_f16(const float *a, const uint16_t *b, size_t n) { (void)a; (void)b; (void)n; return 0; }
float mnemap_dot_f16_f16(const uint16_t *a, const uint16_t *b, size_t n) { (void)a; (void)b; (void)n; return 0; }
float mnemap_l2sq_f16_f16(const uint16_t *a, const uint16_t *b, size_t n) { (void)a; (void)b; (void)n; return 0; }
int32_t mnemap_dot_i8(const int8_t *a, const int8_t *b, size_t n) { int32_t s = 0; for (size_t i = 0; i < n; i++) s += (int32_t)a[i] * b[i]; return s; }
#endif
