// bf16 matrix products with f32 sums: C[m][n] = bf16(A)[m][k] · B[k][n], B packed once.
//
// The blocking follows Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication"
// (ACM TOMS 2008) and BLIS's five loops: for each block of KC summed indices, each thread packs a
// block of MC rows of A (rounding to bf16) that stays in L2, then for each strip of 32 columns of B
// (a KC × 32 micro-panel that stays in L1) runs the micro-kernel over the block's MR-row panels.
// The micro-kernel keeps an MR × 32 tile of C in 2·MR zmm registers and, per pair of summed
// indices, loads two vectors of B (16 columns × 2 bf16 each) and broadcasts one bf16 pair of
// each A row: `vdpbf16ps` adds a0·b0 + a1·b1 to every f32 lane (Intel SDM, VDPBF16PS).
// When C's rows are long (the output head: 49152 columns) the kernel instead walks GROUP strips
// per row panel, so that it writes C in runs of GROUP × 128 bytes rather than 128-byte pieces of
// hundreds of rows (those micro-panels then come from L2). Threads split C by rows, or by strips
// when that leaves them fewer kernel calls or B is too large to be read more than once.
//
// Layouts (uint16 bf16):
// - packed B, strip s: [ceil(k/2)][32][2], element (p, j, h) = B[2p + h][32s + j] (TensorKernelsBF16.h).
// - packed A block: row r at byte r * A_STRIDE holds bf16(A[i0 + r][k0 ..< k0 + kc]) padded with a
//   zero to an even count, so one bf16 pair is one aligned 32-bit word. Rows stay rows (no
//   transposition while packing); the stride is a constant so the kernel addresses all MR rows
//   from one pointer, and is not a multiple of 4 KiB so the rows fall in different L1 sets.
//
// Every C element is summed over k in the same order (KC blocks in turn, pairs in turn) whatever
// the split over threads, so results are the same for any thread count.
#include "TensorKernels.h"
#include "TensorKernelsBF16.h"
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#ifndef TK_BF16_MR
#define TK_BF16_MR 12  // rows of the micro-kernel's tile
#endif
#ifndef TK_BF16_KC
#define TK_BF16_KC 576  // most summed indices per block (B micro-panel: KC / 2 × 128 bytes)
#endif
#ifndef TK_BF16_GROUP
#define TK_BF16_GROUP 8  // strips per group when C rows are long (see gemm_part)
#endif
#ifndef TK_BF16_MC
#define TK_BF16_MC (TK_BF16_MR * 43)  // most rows per packed A block (516 rows × 1.2 KB in L2)
#endif

enum {
    MR = TK_BF16_MR,
    NR = TK_BF16_STRIP,
    KC = TK_BF16_KC,
    MC = TK_BF16_MC,
    GROUP = TK_BF16_GROUP,
    A_STRIDE = 2 * KC + 64,  // bytes between packed A rows
};

// MARK: - Rounding

uint16_t tk_f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7f800000) == 0) return (uint16_t)((u >> 16) & 0x8000);          // zero, subnormal
    if ((u & 0x7fffffff) > 0x7f800000) return (uint16_t)((u >> 16) | 0x40);    // NaN: quiet
    return (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);                    // nearest even
}

float tk_bf16_to_f32(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

// MARK: - CPU

int tk_cpu_has_avx512_bf16(void) {
#if defined(__x86_64__)
    static int has = -1;
    if (has < 0) {
        __builtin_cpu_init();
        has = tk_cpu_has_avx512() && __builtin_cpu_supports("avx512bf16");
    }
    return has;
#else
    return 0;
#endif
}

static int use_bf16_kernels(void) { return tk_vectorized() && tk_cpu_has_avx512_bf16(); }

// MARK: - Packing B

size_t tk_bf16_packed_count(int kdim, int ndim) {
    if (kdim <= 0 || ndim <= 0) return 0;
    return (size_t)((ndim + NR - 1) / NR) * (size_t)((kdim + 1) / 2) * NR * 2;
}

void tk_bf16_pack_weight_rows(const float *src, int row_begin, int row_count, int rows, int columns,
                              uint16_t *forward, uint16_t *backward) {
    const int row_end = row_begin + row_count;
    if (forward) {  // B = Wᵀ: strips of 32 rows of W, pairs of columns
        const size_t pairs = (size_t)(columns + 1) / 2;
        for (int s = row_begin / NR; s * NR < row_end; s++) {
            uint16_t *strip = forward + (size_t)s * pairs * NR * 2;
            for (int j = 0; j < NR; j++) {
                const int r = s * NR + j;
                const float *row = r < row_end ? src + (size_t)(r - row_begin) * columns : NULL;
                for (size_t p = 0; p < pairs; p++)
                    for (int h = 0; h < 2; h++) {
                        const size_t c = 2 * p + h;
                        strip[(p * NR + j) * 2 + h] = row && c < (size_t)columns ? tk_f32_to_bf16(row[c]) : 0;
                    }
            }
        }
    }
    if (backward) {  // B = W: strips of 32 columns of W, pairs of rows
        const size_t pairs = (size_t)(rows + 1) / 2;
        const int strips = (columns + NR - 1) / NR;
        for (int p = row_begin / 2; 2 * p < row_end; p++)
            for (int s = 0; s < strips; s++) {
                uint16_t *out = backward + ((size_t)s * pairs + p) * NR * 2;
                for (int j = 0; j < NR; j++)
                    for (int h = 0; h < 2; h++) {
                        const int r = 2 * p + h, c = s * NR + j;
                        out[2 * j + h] = r < row_end && c < columns
                            ? tk_f32_to_bf16(src[(size_t)(r - row_begin) * columns + c]) : 0;
                    }
            }
    }
}

// MARK: - Portable kernels

static void convert_scalar(const float *src, size_t count, uint16_t *dst) {
    for (size_t i = 0; i < count; i++) dst[i] = tk_f32_to_bf16(src[i]);
}

/// Packs rows [0, rows) of A (columns k0 ..< k0 + kc) into `buffer`, padding each row with a zero
/// to an even length and the last panel with zero rows up to a multiple of MR.
static void pack_a_scalar(const float *A, int lda, int rows, int k0, int kc, uint8_t *buffer) {
    const int padded = (rows + MR - 1) / MR * MR, even = (kc + 1) & ~1;
    for (int r = 0; r < padded; r++) {
        uint16_t *out = (uint16_t *)(buffer + (size_t)r * A_STRIDE);
        if (r < rows) {
            convert_scalar(A + (size_t)r * lda + k0, (size_t)kc, out);
            if (even != kc) out[kc] = 0;
        } else {
            memset(out, 0, (size_t)even * 2);
        }
    }
}

/// C tile [rows][columns] (+)= packed A panel · B micro-panel over `pairs` pairs.
static void kernel_scalar(int pairs, const uint8_t *a, const uint16_t *b, float *c, size_t ldc, int rows,
                          int columns, int load_c) {
    for (int i = 0; i < rows; i++) {
        float acc[NR];
        for (int j = 0; j < NR; j++) acc[j] = load_c && j < columns ? c[(size_t)i * ldc + j] : 0;
        const uint16_t *ai = (const uint16_t *)(a + (size_t)i * A_STRIDE);
        for (int p = 0; p < pairs; p++) {
            const float a0 = tk_bf16_to_f32(ai[2 * p]), a1 = tk_bf16_to_f32(ai[2 * p + 1]);
            const uint16_t *bp = b + (size_t)p * NR * 2;
            for (int j = 0; j < NR; j++)
                acc[j] += a0 * tk_bf16_to_f32(bp[2 * j]) + a1 * tk_bf16_to_f32(bp[2 * j + 1]);
        }
        for (int j = 0; j < columns; j++) c[(size_t)i * ldc + j] = acc[j];
    }
}

// MARK: - AVX512_BF16 kernels

#if defined(__x86_64__)
#define TK_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,fma,avx2")))

TK_BF16 static void convert_avx512(const float *src, size_t count, uint16_t *dst) {
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512((void *)(dst + i), (__m512i)v);
    }
    if (i < count) {
        const size_t left = count - i;
        const __mmask16 lo = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
        const __mmask16 hi = left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1);
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(hi, src + i + 16), _mm512_maskz_loadu_ps(lo, src + i));
        _mm512_mask_storeu_epi16(dst + i, (__mmask32)((1ull << left) - 1), (__m512i)v);
    }
}

TK_BF16 static void pack_a_avx512(const float *A, int lda, int rows, int k0, int kc, uint8_t *buffer) {
    const int padded = (rows + MR - 1) / MR * MR, even = (kc + 1) & ~1;
    for (int r = 0; r < padded; r++) {
        uint16_t *out = (uint16_t *)(buffer + (size_t)r * A_STRIDE);
        if (r < rows) {
            // Rows far apart (the output head's gradient) each start a new stream: ask for the
            // row after next early.
            if (r + 2 < rows)
                for (int c = 0; c < kc; c += 16) _mm_prefetch((const char *)(A + (size_t)(r + 2) * lda + k0 + c), _MM_HINT_T0);
            convert_avx512(A + (size_t)r * lda + k0, (size_t)kc, out);
            if (even != kc) out[kc] = 0;
        } else {
            memset(out, 0, (size_t)even * 2);
        }
    }
}

/// The MR × 32 micro-kernel: C tile [rows][columns] (+)= A panel · B micro-panel.
TK_BF16 static void kernel_avx512(int pairs, const uint8_t *a, const uint16_t *b, float *c, size_t ldc, int rows,
                                  int columns, int load_c) {
    const __mmask16 m0 = columns >= 16 ? 0xffff : (__mmask16)((1u << columns) - 1);
    const __mmask16 m1 = columns >= 32 ? 0xffff : columns <= 16 ? 0 : (__mmask16)((1u << (columns - 16)) - 1);
    __m512 acc[MR][2];
    for (int i = 0; i < MR; i++) {
        if (load_c && i < rows) {
            acc[i][0] = _mm512_maskz_loadu_ps(m0, c + (size_t)i * ldc);
            acc[i][1] = _mm512_maskz_loadu_ps(m1, c + (size_t)i * ldc + 16);
        } else {
            acc[i][0] = _mm512_setzero_ps();
            acc[i][1] = _mm512_setzero_ps();
        }
    }
    for (int p = 0; p < pairs; p++) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)(b + (size_t)p * 64));
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512((const void *)(b + (size_t)p * 64 + 32));
        for (int i = 0; i < MR; i++) {
            int32_t word;
            memcpy(&word, a + (size_t)i * A_STRIDE + (size_t)p * 4, 4);
            const __m512bh ai = (__m512bh)_mm512_set1_epi32(word);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
        }
    }
    for (int i = 0; i < MR; i++) {
        if (i < rows) {
            _mm512_mask_storeu_ps(c + (size_t)i * ldc, m0, acc[i][0]);
            _mm512_mask_storeu_ps(c + (size_t)i * ldc + 16, m1, acc[i][1]);
        }
    }
}
#endif

void tk_bf16_convert(const float *src, size_t count, uint16_t *dst) {
#if defined(__x86_64__)
    if (use_bf16_kernels()) {
        convert_avx512(src, count, dst);
        return;
    }
#endif
    convert_scalar(src, count, dst);
}

// MARK: - Driver

typedef void (*pack_a_fn)(const float *A, int lda, int rows, int k0, int kc, uint8_t *buffer);
typedef void (*kernel_fn)(int pairs, const uint8_t *a, const uint16_t *b, float *c, size_t ldc, int rows,
                          int columns, int load_c);

/// Each thread keeps its packed-A block between calls (pool threads live as long as the pool).
static pthread_key_t buffer_key;
static pthread_once_t buffer_once = PTHREAD_ONCE_INIT;
static void make_buffer_key(void) { pthread_key_create(&buffer_key, free); }

static uint8_t *thread_buffer(void) {
    pthread_once(&buffer_once, make_buffer_key);
    uint8_t *buffer = pthread_getspecific(buffer_key);
    if (!buffer) {
        buffer = aligned_alloc(64, (size_t)MC * A_STRIDE);
        if (buffer) pthread_setspecific(buffer_key, buffer);
    }
    return buffer;
}

typedef struct {
    int vectorized;
    int m, ndim, kdim;
    const float *A;
    int lda;
    const uint16_t *B;
    float *C;
    int ldc;
    int accumulate;
} gemm_task;

/// Rows [r0, r1) × strips [s0, s1) of C on the calling thread.
static void gemm_part(const gemm_task *t, int r0, int r1, int s0, int s1) {
    if (r0 >= r1 || s0 >= s1) return;
    pack_a_fn pack = pack_a_scalar;
    kernel_fn kernel = kernel_scalar;
#if defined(__x86_64__)
    if (t->vectorized) {
        pack = pack_a_avx512;
        kernel = kernel_avx512;
    }
#endif
    uint8_t *buffer = thread_buffer();
    if (!buffer) abort();  // out of memory for 0.6 MB: like a failed Swift allocation
    const size_t pairs_total = (size_t)(t->kdim + 1) / 2;
    const int blocks = (t->kdim + KC - 1) / KC;
    const int kc_step = ((t->kdim + blocks - 1) / blocks + 1) & ~1;  // even, blocks of similar size
    // Row blocks of similar size too (each streams all of B once), whole panels but the last.
    const int row_blocks = (r1 - r0 + MC - 1) / MC;
    const int mc_step = ((r1 - r0 + row_blocks - 1) / row_blocks + MR - 1) / MR * MR;
    const int group = t->ndim >= 4096 ? GROUP : 1;
    for (int k0 = 0; k0 < t->kdim; k0 += kc_step) {
        const int kc = t->kdim - k0 < kc_step ? t->kdim - k0 : kc_step;
        const int pairs = (kc + 1) / 2;
        const int load_c = t->accumulate || k0 > 0;
        for (int i0 = r0; i0 < r1; i0 += mc_step) {
            const int mc = r1 - i0 < mc_step ? r1 - i0 : mc_step;
            pack(t->A + (size_t)i0 * t->lda, t->lda, mc, k0, kc, buffer);
            const size_t panel_bytes = (size_t)pairs * NR * 4;  // one strip's B micro-panel
            const int panels = (mc + MR - 1) / MR;
            for (int g0 = s0; g0 < s1; g0 += group) {
                const int g1 = s1 - g0 < group ? s1 : g0 + group, n1 = s1 - g1 < group ? s1 : g1 + group;
                // Bring the next group's micro-panels into L2 while this group's are used, a slice
                // per kernel call (for wide B, e.g. the output head, they come from memory).
                const size_t next_bytes = (size_t)(n1 - g1) * panel_bytes;
                const size_t per_call = next_bytes / ((size_t)panels * (g1 - g0)) + 64;
                size_t fetched = 0;
                for (int i = 0; i < mc; i += MR) {
                    const int rows = mc - i < MR ? mc - i : MR;
                    for (int s = g0; s < g1; s++) {
                        const uint16_t *b = t->B + ((size_t)s * pairs_total + (size_t)k0 / 2) * NR * 2;
                        const int columns = t->ndim - s * NR < NR ? t->ndim - s * NR : NR;
                        for (size_t end = fetched + per_call; fetched < end && fetched < next_bytes; fetched += 64) {
                            const size_t strip = (size_t)g1 + fetched / panel_bytes;
                            __builtin_prefetch((const char *)(t->B + (strip * pairs_total + (size_t)k0 / 2) * NR * 2) +
                                               fetched % panel_bytes, 0, 2);
                        }
                        if (load_c) {  // the next call's C tile, which it reads back
                            const int ni = s + 1 < g1 ? i : i + MR, ns = s + 1 < g1 ? s + 1 : g0;
                            if (ni < mc) {
                                const float *nc = t->C + (size_t)(i0 + ni) * t->ldc + ns * NR;
                                const int nrows = mc - ni < MR ? mc - ni : MR;
                                for (int r = 0; r < nrows; r++) {
                                    __builtin_prefetch(nc + (size_t)r * t->ldc, 1, 3);
                                    __builtin_prefetch(nc + (size_t)r * t->ldc + 16, 1, 3);
                                }
                            }
                        }
                        kernel(pairs, buffer + (size_t)i * A_STRIDE, b, t->C + (size_t)(i0 + i) * t->ldc + s * NR,
                               (size_t)t->ldc, rows, columns, load_c);
                    }
                }
            }
        }
    }
}

static void gemm_task_run(void *raw, int ith, int nth) {
    const gemm_task *t = raw;
    const int strips = (t->ndim + NR - 1) / NR;
    // Split rows or strips, whichever leaves the busiest thread fewer micro-kernel calls (a
    // thread's last row panel may be partial); strips when B is too large to stay in L3 (the
    // output head), so that each thread reads only its share of B from memory.
    const size_t b_bytes = (size_t)strips * NR * (size_t)(t->kdim + 1) * 2;
    const long by_rows = (long)(((t->m + nth - 1) / nth + MR - 1) / MR) * strips;
    const long by_strips = (long)((t->m + MR - 1) / MR) * ((strips + nth - 1) / nth);
    if (strips >= nth && (by_strips < by_rows || b_bytes >= (16u << 20))) {
        gemm_part(t, 0, t->m, (int)((long)strips * ith / nth), (int)((long)strips * (ith + 1) / nth));
    } else {
        gemm_part(t, (int)((long)t->m * ith / nth), (int)((long)t->m * (ith + 1) / nth), 0, strips);
    }
}

void tk_bf16_gemm(tk_pool *pool, int m, int ndim, int kdim, const float *A, int lda, const uint16_t *B,
                  float *C, int ldc, int accumulate) {
    if (m <= 0 || ndim <= 0) return;
    if (kdim <= 0) {  // empty sum
        if (!accumulate)
            for (int i = 0; i < m; i++) memset(C + (size_t)i * ldc, 0, (size_t)ndim * sizeof(float));
        return;
    }
    gemm_task task = {use_bf16_kernels(), m, ndim, kdim, A, lda, B, C, ldc, accumulate};
    if ((double)m * ndim * kdim < 65536.0) {  // not worth waking a worker
        gemm_task_run(&task, 0, 1);
        return;
    }
    tk_pool_run(pool, gemm_task_run, &task);
}
