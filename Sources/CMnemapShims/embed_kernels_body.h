// The embedder's element-wise and attention kernels, written once with Clang/GCC vector extensions
// (8 floats per vector) and compiled twice by embed_kernels.c: for AVX2+FMA (one ymm register per
// vector, `a * b + c` contracted to an FMA) and for the baseline target (two SSE registers per
// vector on x86-64, NEON on ARM). Before including, define KERNEL(name) (the function's name with
// its suffix) and, for AVX2, wrap the include in a `#pragma clang attribute` that sets the target.
// Not a header of the module: only embed_kernels.c includes it.

// MARK: - Helpers

static inline f8 KERNEL(load8)(const float *p) { f8 v; __builtin_memcpy(&v, p, sizeof v); return v; }
static inline void KERNEL(store8)(float *p, f8 v) { __builtin_memcpy(p, &v, sizeof v); }
static inline f8 KERNEL(splat)(float s) { return (f8){s, s, s, s, s, s, s, s}; }
static inline f8 KERNEL(min8)(f8 a, f8 b) { return __builtin_elementwise_min(a, b); }
static inline f8 KERNEL(max8)(f8 a, f8 b) { return __builtin_elementwise_max(a, b); }
static inline float KERNEL(hsum8)(f8 v) {
    f4 h = __builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7);
    return (h[0] + h[2]) + (h[1] + h[3]);
}
static inline float KERNEL(hmax8)(f8 v) {
    f4 h = __builtin_elementwise_max(__builtin_shufflevector(v, v, 0, 1, 2, 3), __builtin_shufflevector(v, v, 4, 5, 6, 7));
    return __builtin_elementwise_max(__builtin_elementwise_max(h[0], h[2]), __builtin_elementwise_max(h[1], h[3]));
}

// MARK: - erf, exp, GELU

/// erf(x): the rational approximation x·P(x²)/Q(x²) on [-4, 4] used by Eigen, XLA and TVM
/// (outside it erf is ±1 in single precision). Measured against double-precision erf over
/// [-10, 10]: at most 1.2e-7 absolute (about 1 ulp of values near 1).
static inline f8 KERNEL(erf8)(f8 x) {
    x = KERNEL(min8)(KERNEL(max8)(x, KERNEL(splat)(-4.0f)), KERNEL(splat)(4.0f));
    f8 x2 = x * x;
    f8 p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
    p = p * x2 + -2.10102402082508e-06f;
    p = p * x2 + -5.69250639462346e-05f;
    p = p * x2 + -7.34990630326855e-04f;
    p = p * x2 + -2.95459980854025e-03f;
    p = p * x2 + -1.60960333262415e-02f;
    f8 q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
    q = q * x2 + -1.68282697438203e-03f;
    q = q * x2 + -7.37332916720468e-03f;
    q = q * x2 + -1.42647390514189e-02f;
    return x * p / q;
}

/// exp(x): x = n·ln 2 + r with n = round(x / ln 2) and |r| ≤ ln 2 / 2 (ln 2 in two parts), Cephes'
/// degree-6 polynomial for e^r, and 2ⁿ put in the exponent bits. Inputs are clamped to
/// [-87.33, 88.72] (so e^x is normal or, below, about 1e-38 instead of 0); NaN is not handled.
/// Measured: relative error at most 2 ulp over [-87, 88].
static inline f8 KERNEL(exp8)(f8 x) {
    x = KERNEL(min8)(KERNEL(max8)(x, KERNEL(splat)(-87.33f)), KERNEL(splat)(88.72f));
    // Round to nearest without a rounding instruction (SSE2 has none): add and subtract 1.5·2²³.
    f8 n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    f8 r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    f8 y = r * 1.9875691500e-4f + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * (r * r) + r;
    y = y + 1.0f;
    // 2ⁿ for n in [-126, 128): an n of 128 (x near 88.72) is split as 2·2¹²⁷.
    i8 e = __builtin_convertvector(n, i8);
    i8 high = e >> 1, low = e - high;
    f8 scaleHigh, scaleLow;
    i8 bitsHigh = (high + 127) << 23, bitsLow = (low + 127) << 23;
    __builtin_memcpy(&scaleHigh, &bitsHigh, sizeof scaleHigh);
    __builtin_memcpy(&scaleLow, &bitsLow, sizeof scaleLow);
    return y * scaleHigh * scaleLow;
}

/// GELU in place, `0.5·x·(1 + erf(x/√2))`, as BERT's exact "gelu".
static void KERNEL(gelu)(float *values, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        f8 x = KERNEL(load8)(values + i);
        f8 y = (x * 0.5f) * (KERNEL(erf8)(x * 0.70710678118654752f) + 1.0f);
        KERNEL(store8)(values + i, y);
    }
    if (i < count) {
        float tail[8] = {0};
        for (size_t k = i; k < count; k++) tail[k - i] = values[k];
        f8 x = KERNEL(load8)(tail);
        KERNEL(store8)(tail, (x * 0.5f) * (KERNEL(erf8)(x * 0.70710678118654752f) + 1.0f));
        for (size_t k = i; k < count; k++) values[k] = tail[k - i];
    }
}

static void KERNEL(erf)(const float *x, float *y, size_t count) {
    for (size_t i = 0; i < count; i += 8) {
        float lanes[8] = {0};
        size_t n = count - i < 8 ? count - i : 8;
        for (size_t k = 0; k < n; k++) lanes[k] = x[i + k];
        KERNEL(store8)(lanes, KERNEL(erf8)(KERNEL(load8)(lanes)));
        for (size_t k = 0; k < n; k++) y[i + k] = lanes[k];
    }
}

static void KERNEL(exp)(const float *x, float *y, size_t count) {
    for (size_t i = 0; i < count; i += 8) {
        float lanes[8] = {0};
        size_t n = count - i < 8 ? count - i : 8;
        for (size_t k = 0; k < n; k++) lanes[k] = x[i + k];
        KERNEL(store8)(lanes, KERNEL(exp8)(KERNEL(load8)(lanes)));
        for (size_t k = 0; k < n; k++) y[i + k] = lanes[k];
    }
}

