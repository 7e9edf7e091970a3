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

/// Scores of `R` query rows (R ≤ MR) against all keys, 16 keys per step: `scores[i·stride + j] =
/// scale · Σ_t q[i][t]·kt[t·stride + j]`, with the keys transposed and zero-padded in `kt`
/// (`headSize` rows of `stride` floats). One accumulator per output, summed over `t` in order.
static inline __attribute__((always_inline)) void KERNEL(scoreRows)(
    int R, const float *q, size_t width, const float *kt, size_t stride, size_t headSize,
    float scale, float *scores) {
    for (size_t j = 0; j < stride; j += 16) {
        f8 c[MR][2];
        for (int i = 0; i < R; i++) c[i][0] = c[i][1] = KERNEL(splat)(0);
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

/// `out[i][0..<headSize] = Σ_j p[i][j]·v[j]` for `R` rows (R ≤ MR), 16 dimensions per step, then
/// each row times `inverse[i]`.
static inline __attribute__((always_inline)) void KERNEL(weightedRows)(
    int R, const float *p, size_t stride, size_t keys, const float *v, size_t width, size_t headSize,
    const float *inverse, float *out) {
    size_t d = 0;
    for (; d + 16 <= headSize; d += 16) {
        f8 c[MR][2];
        for (int i = 0; i < R; i++) c[i][0] = c[i][1] = KERNEL(splat)(0);
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
        f8 c[MR];
        for (int i = 0; i < R; i++) c[i] = KERNEL(splat)(0);
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
    float inverse[MR];
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
    for (; i + MR <= rows; i += MR)
        KERNEL(attentionRows)(MR, q + i * width, v, out + i * width, width, rows, headSize, scale, kt, stride, scores);
    const float *qi = q + i * width;
    float *oi = out + i * width;
    switch (rows - i) {
#if MR > 5
    case 5: KERNEL(attentionRows)(5, qi, v, oi, width, rows, headSize, scale, kt, stride, scores); break;
#endif
#if MR > 4
    case 4: KERNEL(attentionRows)(4, qi, v, oi, width, rows, headSize, scale, kt, stride, scores); break;
#endif
#if MR > 3
    case 3: KERNEL(attentionRows)(3, qi, v, oi, width, rows, headSize, scale, kt, stride, scores); break;
#endif
#if MR > 2
    case 2: KERNEL(attentionRows)(2, qi, v, oi, width, rows, headSize, scale, kt, stride, scores); break;
#endif
    case 1: KERNEL(attentionRows)(1, qi, v, oi, width, rows, headSize, scale, kt, stride, scores); break;
    default: break;
    }
}

// MARK: - Matrix products

// `output = input · weightᵀ + bias` with the weight in PyTorch's [out, in] layout, read through
// panels: the weight's rows (output columns) in groups of 16, transposed so that one input index k
// gives 16 consecutive floats (`packed[p·16·inputs + k·16 + j] = weight[16p + j][k]`, 0 past the
// last row). A tile of MR input rows × 16 columns keeps 2·MR vector accumulators: for each k, two
// loads from the panel, MR broadcasts of input[m][k], 2·MR multiply-adds. Each output is summed
// over k in order in chunks of KC (each chunk from 0, then added to the sum of the chunks before),
// whatever the tile and the rows around it, so a row's outputs do not depend on the batch.

/// One 8 × 8 block of a row-major matrix, transposed: out[t] gets column t of rows[0..<8].
static inline void KERNEL(transpose8)(f8 r[8]) {
    f8 t0 = __builtin_shufflevector(r[0], r[1], 0, 8, 1, 9, 4, 12, 5, 13);
    f8 t1 = __builtin_shufflevector(r[0], r[1], 2, 10, 3, 11, 6, 14, 7, 15);
    f8 t2 = __builtin_shufflevector(r[2], r[3], 0, 8, 1, 9, 4, 12, 5, 13);
    f8 t3 = __builtin_shufflevector(r[2], r[3], 2, 10, 3, 11, 6, 14, 7, 15);
    f8 t4 = __builtin_shufflevector(r[4], r[5], 0, 8, 1, 9, 4, 12, 5, 13);
    f8 t5 = __builtin_shufflevector(r[4], r[5], 2, 10, 3, 11, 6, 14, 7, 15);
    f8 t6 = __builtin_shufflevector(r[6], r[7], 0, 8, 1, 9, 4, 12, 5, 13);
    f8 t7 = __builtin_shufflevector(r[6], r[7], 2, 10, 3, 11, 6, 14, 7, 15);
    f8 s0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13);
    f8 s1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
    f8 s2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13);
    f8 s3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
    f8 s4 = __builtin_shufflevector(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13);
    f8 s5 = __builtin_shufflevector(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);
    f8 s6 = __builtin_shufflevector(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13);
    f8 s7 = __builtin_shufflevector(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);
    r[0] = __builtin_shufflevector(s0, s4, 0, 1, 2, 3, 8, 9, 10, 11);
    r[1] = __builtin_shufflevector(s1, s5, 0, 1, 2, 3, 8, 9, 10, 11);
    r[2] = __builtin_shufflevector(s2, s6, 0, 1, 2, 3, 8, 9, 10, 11);
    r[3] = __builtin_shufflevector(s3, s7, 0, 1, 2, 3, 8, 9, 10, 11);
    r[4] = __builtin_shufflevector(s0, s4, 4, 5, 6, 7, 12, 13, 14, 15);
    r[5] = __builtin_shufflevector(s1, s5, 4, 5, 6, 7, 12, 13, 14, 15);
    r[6] = __builtin_shufflevector(s2, s6, 4, 5, 6, 7, 12, 13, 14, 15);
    r[7] = __builtin_shufflevector(s3, s7, 4, 5, 6, 7, 12, 13, 14, 15);
}

/// Panel p of `weight` (columns [16p, 16p + 16), zero past `outputs`) into `panel` (16·inputs floats).
static void KERNEL(packPanel)(const float *weight, size_t inputs, size_t outputs, size_t p, float *panel) {
    size_t column = p * 16;
    size_t columns = outputs - column < 16 ? outputs - column : 16;
    size_t k = 0;
    if (columns == 16) {
        for (; k + 8 <= inputs; k += 8) {
            for (size_t half = 0; half < 16; half += 8) {
                f8 r[8];
                for (int t = 0; t < 8; t++) r[t] = KERNEL(load8)(weight + (column + half + t) * inputs + k);
                KERNEL(transpose8)(r);
                for (int t = 0; t < 8; t++) KERNEL(store8)(panel + (k + t) * 16 + half, r[t]);
            }
        }
    }
    for (; k < inputs; k++) {
        for (size_t j = 0; j < 16; j++) panel[k * 16 + j] = j < columns ? weight[(column + j) * inputs + k] : 0;
    }
}

/// Panels [firstPanel, endPanel) of `weight` into `packed` (the whole packed matrix).
static void KERNEL(pack)(const float *weight, size_t inputs, size_t outputs, size_t firstPanel, size_t endPanel, float *packed) {
    for (size_t p = firstPanel; p < endPanel; p++) KERNEL(packPanel)(weight, inputs, outputs, p, packed + p * 16 * inputs);
}

#define KC 64
#ifndef PREFETCH_K
#define PREFETCH_K 16
#endif

/// R ≤ MR rows of input (`a`, rows `inputs` apart) times one panel: `c[i][j]` for j < columns.
static inline __attribute__((always_inline)) void KERNEL(tile)(
    int R, const float *a, size_t inputs, const float *panel, const float *bias, size_t columns,
    float *c, size_t outputs, int gelu) {
    float partial[MR * 16];
    for (size_t k0 = 0; k0 < inputs; k0 += KC) {
        size_t k1 = inputs - k0 < KC ? inputs : k0 + KC;
        f8 s[MR][2];
        for (int i = 0; i < R; i++) s[i][0] = s[i][1] = KERNEL(splat)(0);
        for (size_t k = k0; k < k1; k++) {
            // A short input (a query alone) makes the panels' reads from memory the bottleneck:
            // ask for the line 16 input indices (1 KB) ahead, past the panel's end into the next.
            __builtin_prefetch(panel + (k + PREFETCH_K) * 16);
            f8 w0 = KERNEL(load8)(panel + k * 16), w1 = KERNEL(load8)(panel + k * 16 + 8);
            for (int i = 0; i < R; i++) {
                f8 x = KERNEL(splat)(a[i * inputs + k]);
                s[i][0] = x * w0 + s[i][0];
                s[i][1] = x * w1 + s[i][1];
            }
        }
        if (k0 > 0) {
            for (int i = 0; i < R; i++) {
                s[i][0] = KERNEL(load8)(partial + i * 16) + s[i][0];
                s[i][1] = KERNEL(load8)(partial + i * 16 + 8) + s[i][1];
            }
        }
        if (k1 < inputs) {
            for (int i = 0; i < R; i++) {
                KERNEL(store8)(partial + i * 16, s[i][0]);
                KERNEL(store8)(partial + i * 16 + 8, s[i][1]);
            }
            continue;
        }
        f8 b0, b1;
        if (columns == 16) {
            b0 = KERNEL(load8)(bias); b1 = KERNEL(load8)(bias + 8);
        } else {
            float padded[16] = {0};
            for (size_t j = 0; j < columns; j++) padded[j] = bias[j];
            b0 = KERNEL(load8)(padded); b1 = KERNEL(load8)(padded + 8);
        }
        for (int i = 0; i < R; i++) {
            f8 y0 = s[i][0] + b0, y1 = s[i][1] + b1;
            if (gelu) {
                y0 = (y0 * 0.5f) * (KERNEL(erf8)(y0 * 0.70710678118654752f) + 1.0f);
                y1 = (y1 * 0.5f) * (KERNEL(erf8)(y1 * 0.70710678118654752f) + 1.0f);
            }
            if (columns == 16) {
                KERNEL(store8)(c + i * outputs, y0);
                KERNEL(store8)(c + i * outputs + 8, y1);
            } else {
                float row[16];
                KERNEL(store8)(row, y0); KERNEL(store8)(row + 8, y1);
                for (size_t j = 0; j < columns; j++) c[i * outputs + j] = row[j];
            }
        }
    }
}

/// LayerNorm of `rows` rows of `width` in place, after adding `residual` when not NULL.
static void KERNEL(layernorm)(float *values, const float *residual, size_t rows, size_t width,
                              const float *gamma, const float *beta, float epsilon) {
    size_t full = width & ~(size_t)7;
    for (size_t row = 0; row < rows; row++) {
        float *x = values + row * width;
        f8 s = {0};
        if (residual != NULL) {
            const float *r = residual + row * width;
            for (size_t i = 0; i < full; i += 8) {
                f8 v = KERNEL(load8)(x + i) + KERNEL(load8)(r + i);
                KERNEL(store8)(x + i, v);
                s += v;
            }
            for (size_t i = full; i < width; i++) x[i] += r[i];
        } else {
            for (size_t i = 0; i < full; i += 8) s += KERNEL(load8)(x + i);
        }
        float sum = KERNEL(hsum8)(s);
        for (size_t i = full; i < width; i++) sum += x[i];
        float mean = sum / (float)width;
        f8 m = KERNEL(splat)(mean), q = {0};
        for (size_t i = 0; i < full; i += 8) {
            f8 d = KERNEL(load8)(x + i) - m;
            q = d * d + q;
        }
        float squares = KERNEL(hsum8)(q);
        for (size_t i = full; i < width; i++) squares += (x[i] - mean) * (x[i] - mean);
        float scale = 1.0f / sqrtf(squares / (float)width + epsilon);
        f8 sc = KERNEL(splat)(scale);
        for (size_t i = 0; i < full; i += 8) {
            f8 d = (KERNEL(load8)(x + i) - m) * sc;
            KERNEL(store8)(x + i, d * KERNEL(load8)(gamma + i) + KERNEL(load8)(beta + i));
        }
        for (size_t i = full; i < width; i++) x[i] = (x[i] - mean) * scale * gamma[i] + beta[i];
    }
}

/// Rows [firstRow, endRow) and panels [firstPanel, endPanel) of `output = input · weightᵀ + bias`,
/// then the epilogue. Panels come from `weights->packed`, or when it is NULL are packed here one at
/// a time into `scratch` (16·inputs floats): the same arithmetic either way.
static void KERNEL(linear)(const float *input, size_t firstRow, size_t endRow, const mnemap_linear_weights *weights,
                           size_t firstPanel, size_t endPanel, float *output, const mnemap_epilogue *epilogue,
                           float *scratch) {
    size_t inputs = weights->inputs, outputs = weights->outputs;
    const float *bias = weights->bias;
    int gelu = epilogue->kind == MNEMAP_EPILOGUE_GELU;
    for (size_t p = firstPanel; p < endPanel; p++) {
        const float *panel;
        if (weights->packed != NULL) {
            panel = weights->packed + p * 16 * inputs;
        } else {
            KERNEL(packPanel)(weights->weight, inputs, outputs, p, scratch);
            panel = scratch;
        }
        size_t column = p * 16;
        size_t columns = outputs - column < 16 ? outputs - column : 16;
        size_t m = firstRow;
        for (; m + MR <= endRow; m += MR)
            KERNEL(tile)(MR, input + m * inputs, inputs, panel, bias + column, columns, output + m * outputs + column, outputs, gelu);
        const float *a = input + m * inputs;
        float *c = output + m * outputs + column;
        switch (endRow - m) {
#if MR > 5
        case 5: KERNEL(tile)(5, a, inputs, panel, bias + column, columns, c, outputs, gelu); break;
#endif
#if MR > 4
        case 4: KERNEL(tile)(4, a, inputs, panel, bias + column, columns, c, outputs, gelu); break;
#endif
#if MR > 3
        case 3: KERNEL(tile)(3, a, inputs, panel, bias + column, columns, c, outputs, gelu); break;
#endif
#if MR > 2
        case 2: KERNEL(tile)(2, a, inputs, panel, bias + column, columns, c, outputs, gelu); break;
#endif
        case 1: KERNEL(tile)(1, a, inputs, panel, bias + column, columns, c, outputs, gelu); break;
        default: break;
        }
    }
    if (epilogue->kind == MNEMAP_EPILOGUE_RESIDUAL_LAYERNORM) {
        KERNEL(layernorm)(output + firstRow * outputs, epilogue->residual + firstRow * outputs, endRow - firstRow, outputs,
                          epilogue->gamma, epilogue->beta, epilogue->epsilon);
    }
}
