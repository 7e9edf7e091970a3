// The embedder's vector kernels (GELU, exp, attention): embed_kernels_body.h compiled twice, for
// AVX2+FMA and for the baseline target, each entry point taking the level to run at.
#include "CMnemapShims.h"
#include <math.h>
#include <stdlib.h>

// Vectors of 8 floats passed between the baseline build's inline helpers: no ABI crosses this file.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float f8 __attribute__((vector_size(32)));
typedef float f4 __attribute__((vector_size(16)));
typedef int32_t i8 __attribute__((vector_size(32)));

// Rows per matrix tile: 2 × 16 columns is 8 accumulators in 16 SSE registers; with AVX2, 6 × 16
// is 12 accumulators in 16 ymm registers (the shape of BLIS's Haswell kernel).
#define KERNEL(name) name##_baseline
#define MR 2
#include "embed_kernels_body.h"
#undef MR
#undef KERNEL

#if defined(__x86_64__)
#define MNEMAP_HAS_AVX2_KERNELS 1
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define KERNEL(name) name##_avx2
#define MR 6
#include "embed_kernels_body.h"
#undef MR
#undef KERNEL
#pragma clang attribute pop
#define USE_AVX2(level) ((level) > 0 && mnemap_kernel_level() > 0)
#else
#define USE_AVX2(level) 0
#endif

void mnemap_gelu_f32(float *values, size_t count, int level) {
#if MNEMAP_HAS_AVX2_KERNELS
    if (USE_AVX2(level)) { gelu_avx2(values, count); return; }
#endif
    gelu_baseline(values, count);
}

void mnemap_erf_f32(const float *x, float *y, size_t count, int level) {
#if MNEMAP_HAS_AVX2_KERNELS
    if (USE_AVX2(level)) { erf_avx2(x, y, count); return; }
#endif
    erf_baseline(x, y, count);
}

void mnemap_exp_f32(const float *x, float *y, size_t count, int level) {
#if MNEMAP_HAS_AVX2_KERNELS
    if (USE_AVX2(level)) { exp_avx2(x, y, count); return; }
#endif
    exp_baseline(x, y, count);
}

size_t mnemap_attention_scratch_count(size_t rows, size_t headSize) {
    size_t stride = (rows + 15) & ~(size_t)15;
    return (headSize + 6) * stride;  // the transposed keys, then scores for up to 6 query rows
}

int mnemap_attention_f32(const float *query, const float *key, const float *value, float *context,
                         size_t rows, size_t width, size_t headSize, float scale, float *scratch, int level) {
    if (headSize == 0 || headSize % 8 != 0) return 0;
    if (rows == 0) return 1;
#if MNEMAP_HAS_AVX2_KERNELS
    if (USE_AVX2(level)) { attention_avx2(query, key, value, context, rows, width, headSize, scale, scratch); return 1; }
#endif
    attention_baseline(query, key, value, context, rows, width, headSize, scale, scratch);
    return 1;
}

size_t mnemap_packed_count(size_t inputs, size_t outputs) {
    return (outputs + 15) / 16 * 16 * inputs;
}

void mnemap_pack_f32(const float *weight, size_t inputs, size_t outputs, size_t firstPanel, size_t endPanel,
                     float *packed, int level) {
#if MNEMAP_HAS_AVX2_KERNELS
    if (USE_AVX2(level)) { pack_avx2(weight, inputs, outputs, firstPanel, endPanel, packed); return; }
#endif
    pack_baseline(weight, inputs, outputs, firstPanel, endPanel, packed);
}

int mnemap_linear_f32(const float *input, size_t firstRow, size_t endRow, const mnemap_linear_weights *weights,
                      size_t firstPanel, size_t endPanel, float *output, const mnemap_epilogue *epilogue, int level) {
    size_t panels = (weights->outputs + 15) / 16;
    if (endPanel > panels) endPanel = panels;
    if (epilogue->kind == MNEMAP_EPILOGUE_RESIDUAL_LAYERNORM && (firstPanel != 0 || endPanel != panels)) return 0;
    float *scratch = NULL;
    if (weights->packed == NULL && firstPanel < endPanel) {
        scratch = malloc(16 * weights->inputs * sizeof(float));
        if (scratch == NULL) return 0;
    }
#if MNEMAP_HAS_AVX2_KERNELS
    if (USE_AVX2(level)) {
        linear_avx2(input, firstRow, endRow, weights, firstPanel, endPanel, output, epilogue, scratch);
        free(scratch);
        return 1;
    }
#endif
    linear_baseline(input, firstRow, endRow, weights, firstPanel, endPanel, output, epilogue, scratch);
    free(scratch);
    return 1;
}

void mnemap_layernorm_f32(float *values, const float *residual, size_t rows, size_t width,
                          const float *gamma, const float *beta, float epsilon, int level) {
#if MNEMAP_HAS_AVX2_KERNELS
    if (USE_AVX2(level)) { layernorm_avx2(values, residual, rows, width, gamma, beta, epsilon); return; }
#endif
    layernorm_baseline(values, residual, rows, width, gamma, beta, epsilon);
}
