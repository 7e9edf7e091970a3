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
/// (outside it erf is ±1 in single precision). The approximation itself is within 6.5e-8 of erf;
/// evaluated in single precision, at most 4.7e-7 (measured against double-precision erf on 20
/// million points of [-10, 10]; worst between |x| = 3 and 4, where erf is within 3e-5 of ±1).
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
/// Measured: relative error at most 8.4e-8 (about 1 ulp) over [-87, 88].
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

// MARK: - Attention

/// Scores of `R` query rows (R ≤ 4) against all keys, 16 keys per step: `scores[i·stride + j] =
/// scale · Σ_t q[i][t]·kt[t·stride + j]`, with the keys transposed and zero-padded in `kt`
/// (`headSize` rows of `stride` floats). One accumulator per output, summed over `t` in order.
static inline __attribute__((always_inline)) void KERNEL(scoreRows)(
    int R, const float *q, size_t width, const float *kt, size_t stride, size_t headSize,
    float scale, float *scores) {
    for (size_t j = 0; j < stride; j += 16) {
        f8 c[4][2] = {{0}};
        for (size_t t = 0; t < headSize; t++) {
            f8 k0 = KERNEL(load8)(kt + t * stride + j), k1 = KERNEL(load8)(kt + t * stride + j + 8);
            for (int i = 0; i < R; i++) {
                f8 x = KERNEL(splat)(q[i * width + t]);
                c[i][0] = x * k0 + c[i][0];
                c[i][1] = x * k1 + c[i][1];
            }
        }
        for (int i = 0; i < R; i++) {
            KERNEL(store8)(scores + i * stride + j, c[i][0] * scale);
            KERNEL(store8)(scores + i * stride + j + 8, c[i][1] * scale);
        }
    }
}

/// `out[i][0..<headSize] = Σ_j p[i][j]·v[j]` for `R` rows (R ≤ 4), 16 dimensions per step, then
/// each row times `inverse[i]`.
static inline __attribute__((always_inline)) void KERNEL(weightedRows)(
    int R, const float *p, size_t stride, size_t keys, const float *v, size_t width, size_t headSize,
    const float *inverse, float *out) {
    size_t d = 0;
    for (; d + 16 <= headSize; d += 16) {
        f8 c[4][2] = {{0}};
        for (size_t j = 0; j < keys; j++) {
            f8 v0 = KERNEL(load8)(v + j * width + d), v1 = KERNEL(load8)(v + j * width + d + 8);
            for (int i = 0; i < R; i++) {
                f8 w = KERNEL(splat)(p[i * stride + j]);
                c[i][0] = w * v0 + c[i][0];
                c[i][1] = w * v1 + c[i][1];
            }
        }
        for (int i = 0; i < R; i++) {
            KERNEL(store8)(out + i * width + d, c[i][0] * inverse[i]);
            KERNEL(store8)(out + i * width + d + 8, c[i][1] * inverse[i]);
        }
    }
    if (d < headSize) {  // headSize % 16 == 8
        f8 c[4] = {0};
        for (size_t j = 0; j < keys; j++) {
            f8 v0 = KERNEL(load8)(v + j * width + d);
            for (int i = 0; i < R; i++) c[i] = KERNEL(splat)(p[i * stride + j]) * v0 + c[i];
        }
        for (int i = 0; i < R; i++) KERNEL(store8)(out + i * width + d, c[i] * inverse[i]);
    }
}

/// Softmax of `R` rows of scores in place (the first `keys` of each row; the rest, padding, set
/// to 0); `inverse[i]` gets 1 / the row's sum, which the weighted sum applies at the end.
static inline __attribute__((always_inline)) void KERNEL(softmaxRows)(
    int R, float *scores, size_t stride, size_t keys, float *inverse) {
    for (int i = 0; i < R; i++) {
        float *s = scores + i * stride;
        for (size_t j = keys; j < stride; j++) s[j] = -INFINITY;
        f8 m = KERNEL(splat)(-INFINITY);
        for (size_t j = 0; j < stride; j += 8) m = KERNEL(max8)(m, KERNEL(load8)(s + j));
        f8 maximum = KERNEL(splat)(KERNEL(hmax8)(m));
        f8 total = {0};
        size_t full = keys & ~(size_t)7;
        for (size_t j = 0; j < full; j += 8) {
            f8 e = KERNEL(exp8)(KERNEL(load8)(s + j) - maximum);
            KERNEL(store8)(s + j, e);
            total += e;
        }
        if (full < keys) {
            f8 e = KERNEL(exp8)(KERNEL(load8)(s + full) - maximum);
            KERNEL(store8)(s + full, e);
            for (size_t j = keys; j < full + 8; j++) s[j] = 0;
            total += KERNEL(load8)(s + full);
        }
        inverse[i] = 1.0f / KERNEL(hsum8)(total);
    }
}

static inline __attribute__((always_inline)) void KERNEL(attentionRows)(
    int R, const float *q, const float *v, float *out, size_t width, size_t keys, size_t headSize,
    float scale, const float *kt, size_t stride, float *scores) {
    float inverse[4];
    KERNEL(scoreRows)(R, q, width, kt, stride, headSize, scale, scores);
    KERNEL(softmaxRows)(R, scores, stride, keys, inverse);
    KERNEL(weightedRows)(R, scores, stride, keys, v, width, headSize, inverse, out);
}

/// Attention of one sequence and one head; see `mnemap_attention_f32`.
static void KERNEL(attention)(const float *q, const float *k, const float *v, float *out,
                              size_t rows, size_t width, size_t headSize, float scale, float *scratch) {
    size_t stride = (rows + 15) & ~(size_t)15;
    float *kt = scratch, *scores = scratch + headSize * stride;
    for (size_t t = 0; t < headSize; t++) {
        for (size_t j = 0; j < rows; j++) kt[t * stride + j] = k[j * width + t];
        for (size_t j = rows; j < stride; j++) kt[t * stride + j] = 0;
    }
    size_t i = 0;
    for (; i + 4 <= rows; i += 4)
        KERNEL(attentionRows)(4, q + i * width, v, out + i * width, width, rows, headSize, scale, kt, stride, scores);
    switch (rows - i) {
    case 3: KERNEL(attentionRows)(3, q + i * width, v, out + i * width, width, rows, headSize, scale, kt, stride, scores); break;
    case 2: KERNEL(attentionRows)(2, q + i * width, v, out + i * width, width, rows, headSize, scale, kt, stride, scores); break;
    case 1: KERNEL(attentionRows)(1, q + i * width, v, out + i * width, width, rows, headSize, scale, kt, stride, scores); break;
    default: break;
    }
}
