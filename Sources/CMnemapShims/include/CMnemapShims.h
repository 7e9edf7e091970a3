// CMnemapShims: only what Swift cannot call directly.
//
// - variadic system calls (mremap, fcntl with an argument), which Swift's Glibc
//   module does not import;
// - F_FULLFSYNC / posix_fallocate behind one portable name each;
// - the SIGBUS guard, which must run inside a signal handler.
//
// Every function returns 0 on success or -1 with errno set, unless it says otherwise.
#ifndef CMNEMAP_SHIMS_H
#define CMNEMAP_SHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// mremap(2) on Linux (MREMAP_MAYMOVE when `may_move`); returns MAP_FAILED
/// (as `(void *)-1`) with errno set. Elsewhere always fails with ENOTSUP.
void *mnemap_mremap(void *old_address, size_t old_size, size_t new_size, int may_move);

/// Lock kinds for `mnemap_file_lock`.
enum {
    MNEMAP_LOCK_UNLOCK = 0,
    MNEMAP_LOCK_SHARED = 1,
    MNEMAP_LOCK_EXCLUSIVE = 2,
};

/// An fcntl byte-range lock on [start, start + length) (length 0: to the end of
/// the file, however far it grows). Open-file-description (OFD) locks where the
/// platform has them (Linux), classic POSIX record locks elsewhere.
/// `wait` non-zero blocks (F_OFD_SETLKW). Returns 0, or -1 with errno
/// (EAGAIN/EACCES: held by someone else; EINTR: interrupted).
int mnemap_file_lock(int fd, int kind, int64_t start, int64_t length, int wait);

/// 1 when the lock calls above are open-file-description locks.
int mnemap_file_lock_is_ofd(void);

/// Reserve disk blocks for [offset, offset + length) so that later writes through
/// a mapping cannot fail for lack of space. Returns 0 or an errno value (not -1).
int mnemap_allocate(int fd, int64_t offset, int64_t length);

/// fcntl(F_FULLFSYNC) on Apple platforms (flushes the drive's write cache);
/// fsync elsewhere, where fsync already issues a cache flush.
int mnemap_full_fsync(int fd);

/// posix_fadvise(POSIX_FADV_DONTNEED) where available; returns 0 or an errno value.
int mnemap_fadvise_dontneed(int fd, int64_t offset, int64_t length);

// MARK: - SIGBUS guard

/// Install the process-wide SIGBUS handler (idempotent, thread-safe). Faults
/// outside a guard are passed to the handler that was installed before, or
/// kill the process as they would have without Mnemap.
int mnemap_fault_guard_install(void);

/// Start guarding accesses to [base, base + length) on this thread. A SIGBUS
/// (BUS_ADRERR) inside that range no longer kills the process: the faulting
/// page is replaced by a private zero page and the access continues. Guards
/// nest; only the outermost range is watched.
void mnemap_fault_guard_begin(void *base, size_t length);

/// Stop guarding. Returns the number of faults seen since the matching begin,
/// and the lowest and highest faulting page addresses in `first_page` and
/// `last_page` when it is not 0. The caller must restore those pages (map the
/// file over them again) before anyone relies on them.
unsigned long mnemap_fault_guard_end(uintptr_t *first_page, uintptr_t *last_page);

#ifdef __cplusplus
}
#endif

#endif

#ifndef CMNEMAP_SHIMS_EXTRA_H
#define CMNEMAP_SHIMS_EXTRA_H
#ifdef __cplusplus
extern "C" {
#endif

// MARK: - CRC32C (Castagnoli)

/// Continues a CRC32C over `length` bytes: pass 0 to start; the result of one call
/// feeds the next. Uses the SSE4.2 `crc32` instruction when the CPU has it (checked
/// once at run time), a table otherwise. Standard CRC32C: "123456789" -> 0xE3069283.
uint32_t mnemap_crc32c(uint32_t crc, const void *bytes, size_t length);

/// 1 when `mnemap_crc32c` uses the hardware instruction.
int mnemap_crc32c_is_hardware(void);

/// 1 when `mnemap_crc32c` runs three interleaved chains of the hardware instruction on longer
/// buffers, combined with a carry-less multiply (x86-64 with SSE4.2 and PCLMULQDQ).
int mnemap_crc32c_is_interleaved(void);

/// Copies `length` bytes from `source` to `destination` (which must not overlap) and returns
/// `mnemap_crc32c(crc, source, length)`, reading each byte once: the copy rides along with the
/// checksum's loads.
uint32_t mnemap_crc32c_copy(uint32_t crc, void *destination, const void *source, size_t length);

/// `mnemap_crc32c` with a chosen implementation, for tests and benchmarks: 0 software tables,
/// 1 one hardware chain, 2 three interleaved chains at any length (falls back to what the CPU has).
uint32_t mnemap_crc32c_variant(int variant, uint32_t crc, const void *bytes, size_t length);

// MARK: - futex

/// Sleeps while the 32-bit word at `address` (in memory shared between processes)
/// equals `expected`, for at most `timeout_ns` (-1: no limit). Linux `FUTEX_WAIT`
/// (not private, so it works across processes). Returns 0 when woken or the value
/// differed, -1 with errno ETIMEDOUT, EINTR, or ENOTSUP where there is no futex.
int mnemap_futex_wait(uint32_t *address, uint32_t expected, int64_t timeout_ns);

/// Wakes up to `count` waiters on `address`; returns how many were woken, or -1 with errno.
int mnemap_futex_wake(uint32_t *address, int count);

/// A hint to the CPU inside a polling loop (`pause` on x86, `yield` on ARM): frees the core's
/// resources for its sibling hyperthread and avoids a memory-order flush when the loop ends.
static inline void mnemap_spin_hint(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Asks the CPU to start loading the `bytes` bytes at `address` into its caches (a hint: it
/// never faults, whatever the address). A graph search calls it for the vectors of a node's
/// neighbours before computing their distances, so the loads overlap instead of each waiting.
static inline void mnemap_prefetch(const void *address, size_t bytes) {
    const char *p = (const char *)address;
    for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(p + offset, 0, 3);
}

#ifdef __cplusplus
}
#endif
#endif

#ifndef CMNEMAP_SHIMS_EXCHANGE_H
#define CMNEMAP_SHIMS_EXCHANGE_H
#ifdef __cplusplus
extern "C" {
#endif
/// Atomically exchanges two paths (files or folders): `renameat2(RENAME_EXCHANGE)` on Linux,
/// `renamex_np(RENAME_SWAP)` on Apple platforms. Returns 0 or -1 with errno (ENOTSUP elsewhere).
int mnemap_exchange_paths(const char *first, const char *second);
#ifdef __cplusplus
}
#endif
#endif

#ifndef CMNEMAP_SHIMS_KERNELS_H
#define CMNEMAP_SHIMS_KERNELS_H
#ifdef __cplusplus
extern "C" {
#endif
// MARK: - Vector kernels with run-time dispatch
//
// Swift compiles for the baseline of its target (SSE2 on x86-64) and cannot mark a function
// for another instruction set. These kernels are built for AVX2+FMA(+F16C) and chosen at run
// time when the CPU has them; `mnemap_kernel_level` says whether they can be used.

/// 1 when the AVX2/FMA/F16C kernels below run on this CPU, 0 when the caller must use its own.
/// Read once per process; the environment variable `MNEMAP_KERNEL_LEVEL=0` makes it 0 (portable code).
int mnemap_kernel_level(void);
/// Σ a[i]·b[i] over Float32 (AVX2+FMA, four accumulators).
float mnemap_dot_f32(const float *a, const float *b, size_t count);
/// Σ (a[i]−b[i])² over Float32.
float mnemap_l2sq_f32(const float *a, const float *b, size_t count);
/// Σ a[i]·b[i] with `a` Float32 and `b` IEEE half (F16C conversion).
float mnemap_dot_f32_f16(const float *a, const uint16_t *b, size_t count);
/// Σ (a[i]−b[i])² with `a` Float32 and `b` IEEE half.
float mnemap_l2sq_f32_f16(const float *a, const uint16_t *b, size_t count);
/// Σ (a[i]−b[i])² and Σ a[i]·b[i] with both IEEE half.
float mnemap_dot_f16_f16(const uint16_t *a, const uint16_t *b, size_t count);
float mnemap_l2sq_f16_f16(const uint16_t *a, const uint16_t *b, size_t count);
/// Σ a[i]·b[i] over Int8, exact in Int32 (AVX2 multiply-add of 16-bit pairs).
int32_t mnemap_dot_i8(const int8_t *a, const int8_t *b, size_t count);
#ifdef __cplusplus
}
#endif
#endif

#ifndef CMNEMAP_SHIMS_EMBED_H
#define CMNEMAP_SHIMS_EMBED_H
#ifdef __cplusplus
extern "C" {
#endif
// MARK: - The embedder's element-wise and attention kernels
//
// One source (embed_kernels_body.h) compiled for AVX2+FMA and for the baseline target. `level` is
// the level to run at: 0 runs the baseline build, anything above it the AVX2 build when
// `mnemap_kernel_level()` allows it (else the baseline build). The two builds give slightly
// different results (FMA contraction), each deterministic.

/// GELU in place: `0.5·x·(1 + erf(x/√2))` with a vectorised erf (at most 1.2e-7 off).
void mnemap_gelu_f32(float *values, size_t count, int level);
/// y[i] = erf(x[i]) by the kernels' approximation (for tests).
void mnemap_erf_f32(const float *x, float *y, size_t count, int level);
/// y[i] = exp(x[i]) by the kernels' approximation (for tests); inputs clamped to [-87.33, 88.72].
void mnemap_exp_f32(const float *x, float *y, size_t count, int level);

/// Floats of scratch that `mnemap_attention_f32` needs for a sequence of `rows` tokens.
size_t mnemap_attention_scratch_count(size_t rows, size_t headSize);
/// Self-attention of one sequence and one head: for each of the `rows` query rows `i`,
/// `context[i] = Σ_j softmax_j(scale · query[i]·key[j]) value[j]` over the `rows` keys of the
/// sequence. The four matrices are row-major with rows `width` floats apart, each pointer at the
/// head's first column of the sequence's first row; `headSize` floats per row are read or written.
/// Scores are computed 6 query rows (2 in the portable build) × 16 keys at a time on transposed keys, the softmax with a
/// vectorised exp. `scratch` holds `mnemap_attention_scratch_count(rows, headSize)` floats.
/// Returns 0 (and does nothing) when `headSize` is not a multiple of 8, 1 otherwise.
int mnemap_attention_f32(const float *query, const float *key, const float *value, float *context,
                         size_t rows, size_t width, size_t headSize, float scale, float *scratch, int level);

/// Floats of a weight of `outputs` × `inputs` packed for `mnemap_linear_f32`: panels of 16 rows
/// (output columns), each transposed to `inputs` × 16, the last one zero-padded.
size_t mnemap_packed_count(size_t inputs, size_t outputs);
/// Packs panels [firstPanel, endPanel) of `weight` (row-major `outputs` × `inputs`, PyTorch's
/// `[out, in]`) into `packed` (`mnemap_packed_count` floats); panel p holds columns [16p, 16p + 16).
void mnemap_pack_f32(const float *weight, size_t inputs, size_t outputs, size_t firstPanel, size_t endPanel,
                     float *packed, int level);

/// What `mnemap_linear_f32` does to its rows after the product.
enum {
    MNEMAP_EPILOGUE_NONE = 0,
    /// GELU (exact, erf) on every output.
    MNEMAP_EPILOGUE_GELU = 1,
    /// `row = LayerNorm(row + residual row)` with `gamma`, `beta`, `epsilon` (outputs wide; the call
    /// must cover all columns).
    MNEMAP_EPILOGUE_RESIDUAL_LAYERNORM = 2,
};

typedef struct {
    int kind;
    const float *residual;
    const float *gamma;
    const float *beta;
    float epsilon;
} mnemap_epilogue;

/// A linear layer: `weight` row-major `outputs` × `inputs` (PyTorch's `[out, in]`), `bias`, and
/// the weight packed by `mnemap_pack_f32` or NULL.
typedef struct {
    const float *weight;
    const float *packed;
    const float *bias;
    size_t inputs;
    size_t outputs;
} mnemap_linear_weights;

/// Rows [firstRow, endRow) and columns [16·firstPanel, 16·endPanel) of
/// `output = input · weightᵀ + bias` (`input` row-major with `inputs` floats per row, `output` and
/// the epilogue's residual with `outputs`), then the epilogue on those rows. Panels come from
/// `weights->packed`, or, when it is NULL, are packed by the call one at a time into a buffer of
/// its own (cheaper for a few rows). Each output is summed over the inputs in order, in chunks of
/// 64 added one after the other, then the bias is added: the same floats whatever the row and
/// panel ranges and whether the weight came packed. Returns 0 (and does nothing) when the
/// LayerNorm epilogue is asked for part of the columns or memory runs out, 1 otherwise.
int mnemap_linear_f32(const float *input, size_t firstRow, size_t endRow, const mnemap_linear_weights *weights,
                      size_t firstPanel, size_t endPanel, float *output, const mnemap_epilogue *epilogue, int level);

/// LayerNorm in place over rows of `width` (biased variance, as torch.nn.LayerNorm), after adding
/// `residual` (NULL for none).
void mnemap_layernorm_f32(float *values, const float *residual, size_t rows, size_t width,
                          const float *gamma, const float *beta, float epsilon, int level);
#ifdef __cplusplus
}
#endif
#endif
