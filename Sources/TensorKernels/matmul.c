// Matrix products on GGML weight rows, read in place (no dequantized copy of the model).
//
// Block layouts (ggml's ggml-common.h): Q8_0 = f16 scale d + 32 x int8, value = d*q;
// Q4_0 = f16 d + 16 bytes, element j in the low nibble of byte j and element j+16 in the high
// nibble, value = d*(q-8); Q4_1 = f16 d, f16 m + 16 bytes as Q4_0, value = d*q + m;
// Q5_0 = f16 d, 32 bits qh (bit j is the fifth bit of element j) + 16 bytes as Q4_0,
// value = d*(q-16); Q5_1 = f16 d, f16 m, qh, 16 bytes, value = d*q + m. (llama.cpp's Q4_K_M
// files store rows whose width isn't a multiple of 256 as Q5_0 / Q5_1.)
// Every kernel accumulates in f32; the vectorized versions only change the order of the sums.
#include "TensorKernels.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// MARK: - Half precision

float tk_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {  // subnormal: renormalise
            exponent = 127 - 15 + 1;
            while ((mantissa & 0x400) == 0) { mantissa <<= 1; exponent--; }
            mantissa &= 0x3ff;
            bits = sign | (exponent << 23) | (mantissa << 13);
        }
    } else if (exponent == 31) {
        bits = sign | 0x7f800000 | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t tk_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t absx = x & 0x7fffffff;
    if (absx >= 0x7f800000) return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000 ? 0x200 : 0));
    if (absx >= 0x477ff000) return (uint16_t)(sign | 0x7c00);  // overflows to infinity
    if (absx < 0x38800000) {  // subnormal or zero in f16: count units of 2^-24, ties to even
        float magnitude;
        memcpy(&magnitude, &absx, 4);
        return (uint16_t)(sign | (uint32_t)lrintf(magnitude * 16777216.0f));
    }
    uint32_t rounded = absx + 0xfff + ((absx >> 13) & 1);
    return (uint16_t)(sign | ((rounded - 0x38000000) >> 13));
}

static inline float load_f16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return tk_f16_to_f32(h);
}

static inline float bf16_to_f32(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

// MARK: - Types

static int block_size(int type) {
    switch (type) {
    case TK_Q4_0: case TK_Q4_1: case TK_Q5_0: case TK_Q5_1: case TK_Q8_0: case TK_Q4_1R: case TK_Q8_0R: return 32;
    case TK_Q4_K: case TK_Q6_K: return 256;
    case TK_F32: case TK_F16: case TK_BF16: return 1;
    default: return 0;
    }
}

static size_t block_bytes(int type) {
    switch (type) {
    case TK_F32: return 4;
    case TK_F16: case TK_BF16: return 2;
    case TK_Q4_0: return 18;
    case TK_Q4_1: return 20;
    case TK_Q8_0: return 34;
    case TK_Q5_0: return 22;
    case TK_Q5_1: return 24;
    case TK_Q4_K: return 144;
    case TK_Q6_K: return 210;
    case TK_Q4_1R: return 20;
    case TK_Q8_0R: return 34;
    default: return 0;
    }
}

int tk_type_supported(int type) { return block_size(type) != 0; }

size_t tk_row_bytes(int type, int columns) {
    int bs = block_size(type);
    if (bs == 0 || columns <= 0 || columns % bs != 0) return 0;
    return (size_t)(columns / bs) * block_bytes(type);
}

// MARK: - Portable kernels

/// Dequantizes one row of `columns` elements.
static void dequantize_row_scalar(int type, const uint8_t *row, int columns, float *dst) {
    switch (type) {
    case TK_Q4_K: case TK_Q6_K:
        tk_dequantize_kquant_row(type, row, columns, dst);
        return;
    case TK_F32:
        memcpy(dst, row, (size_t)columns * 4);
        return;
    case TK_F16:
        for (int c = 0; c < columns; c++) dst[c] = load_f16(row + 2 * c);
        return;
    case TK_BF16:
        for (int c = 0; c < columns; c++) {
            uint16_t b;
            memcpy(&b, row + 2 * c, 2);
            dst[c] = bf16_to_f32(b);
        }
        return;
    case TK_Q8_0:
        for (int b = 0; b < columns / 32; b++) {
            const uint8_t *blk = row + 34 * b;
            float d = load_f16(blk);
            for (int j = 0; j < 32; j++) dst[32 * b + j] = d * (float)(int8_t)blk[2 + j];
        }
        return;
    case TK_Q4_0:
        for (int b = 0; b < columns / 32; b++) {
            const uint8_t *blk = row + 18 * b;
            float d = load_f16(blk);
            for (int j = 0; j < 16; j++) {
                dst[32 * b + j] = d * (float)((blk[2 + j] & 15) - 8);
                dst[32 * b + j + 16] = d * (float)((blk[2 + j] >> 4) - 8);
            }
        }
        return;
    case TK_Q4_1R: {
        const int nb = columns / 32;
        const uint8_t *q = row + 4 * nb;
        for (int b = 0; b < nb; b++) {
            float d = load_f16(row + 2 * b), m = load_f16(row + 2 * (nb + b));
            for (int j = 0; j < 16; j++) {
                dst[32 * b + j] = fmaf((float)(q[16 * b + j] & 15), d, m);
                dst[32 * b + j + 16] = fmaf((float)(q[16 * b + j] >> 4), d, m);
            }
        }
        return;
    }
    case TK_Q8_0R: {
        const int nb = columns / 32;
        const int8_t *q = (const int8_t *)(row + 2 * nb);
        for (int c = 0; c < columns; c++) dst[c] = load_f16(row + 2 * (c / 32)) * (float)q[c];
        return;
    }
    case TK_Q5_0: case TK_Q5_1: {
        const int one = type == TK_Q5_1;  // Q5_1 has a minimum m after d
        const size_t bytes = one ? 24 : 22;
        for (int b = 0; b < columns / 32; b++) {
            const uint8_t *blk = row + bytes * b;
            const float d = load_f16(blk), m = one ? load_f16(blk + 2) : 0;
            uint32_t qh;
            memcpy(&qh, blk + 2 + 2 * one, 4);
            const uint8_t *qs = blk + 6 + 2 * one;
            for (int j = 0; j < 16; j++) {
                const int x0 = (qs[j] & 0x0F) | (((qh >> j) << 4) & 0x10);
                const int x1 = (qs[j] >> 4) | ((qh >> (j + 12)) & 0x10);
                dst[32 * b + j] = one ? fmaf((float)x0, d, m) : (float)(x0 - 16) * d;
                dst[32 * b + j + 16] = one ? fmaf((float)x1, d, m) : (float)(x1 - 16) * d;
            }
        }
        return;
    }
    case TK_Q4_1:
        for (int b = 0; b < columns / 32; b++) {
            const uint8_t *blk = row + 20 * b;
            float d = load_f16(blk), m = load_f16(blk + 2);
            for (int j = 0; j < 16; j++) {
                dst[32 * b + j] = fmaf((float)(blk[4 + j] & 15), d, m);
                dst[32 * b + j + 16] = fmaf((float)(blk[4 + j] >> 4), d, m);
            }
        }
        return;
    }
}

static void matmul_rows_scalar(int type, const uint8_t *W, size_t row_bytes, int r0, int r1,
                               int columns, const float *X, int n, float *Y, int ldy) {
    float *row = malloc((size_t)columns * sizeof(float));
    for (int r = r0; r < r1; r++) {
        dequantize_row_scalar(type, W + (size_t)r * row_bytes, columns, row);
        for (int t = 0; t < n; t++) {
            const float *x = X + (size_t)t * columns;
            float sum = 0;
            for (int c = 0; c < columns; c++) sum += row[c] * x[c];
            Y[(size_t)t * ldy + r] = sum;
        }
    }
    free(row);
}

// MARK: - AVX-512 kernels

#if defined(__x86_64__)

TK_AVX512 static inline float f16_avx(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/// Unpacks 32 weights of one block into two vectors of 16 floats (elements 0-15 and 16-31).
TK_AVX512 static inline void unpack_block(int type, const uint8_t *blk, __m512 *lo, __m512 *hi) {
    switch (type) {
    case TK_Q4_1: {
        __m512 d = _mm512_set1_ps(f16_avx(blk)), m = _mm512_set1_ps(f16_avx(blk + 2));
        __m512i q = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(blk + 4)));
        *lo = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_and_si512(q, _mm512_set1_epi32(15))), d, m);
        *hi = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(q, 4)), d, m);
        return;
    }
    case TK_Q4_0: {
        __m512 d = _mm512_set1_ps(f16_avx(blk));
        __m512i q = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(blk + 2)));
        __m512i eight = _mm512_set1_epi32(8);
        *lo = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_and_si512(q, _mm512_set1_epi32(15)), eight)), d);
        *hi = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_srli_epi32(q, 4), eight)), d);
        return;
    }
    case TK_Q5_0: case TK_Q5_1: {
        const int one = type == TK_Q5_1;
        __m512 d = _mm512_set1_ps(f16_avx(blk));
        uint32_t qh;
        memcpy(&qh, blk + 2 + 2 * one, 4);
        __m512i q = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(blk + 6 + 2 * one)));
        __m512i sixteen = _mm512_set1_epi32(16);
        __m512i l = _mm512_and_si512(q, _mm512_set1_epi32(15));
        l = _mm512_mask_or_epi32(l, (__mmask16)(qh & 0xFFFF), l, sixteen);
        __m512i h = _mm512_srli_epi32(q, 4);
        h = _mm512_mask_or_epi32(h, (__mmask16)(qh >> 16), h, sixteen);
        if (one) {
            __m512 m = _mm512_set1_ps(f16_avx(blk + 2));
            *lo = _mm512_fmadd_ps(_mm512_cvtepi32_ps(l), d, m);
            *hi = _mm512_fmadd_ps(_mm512_cvtepi32_ps(h), d, m);
        } else {
            *lo = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(l, sixteen)), d);
            *hi = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(h, sixteen)), d);
        }
        return;
    }
    case TK_Q8_0: {
        __m512 d = _mm512_set1_ps(f16_avx(blk));
        *lo = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(blk + 2)))), d);
        *hi = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(blk + 18)))), d);
        return;
    }
    case TK_F16:
        *lo = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)blk));
        *hi = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(blk + 32)));
        return;
    case TK_BF16:
        *lo = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)blk)), 16));
        *hi = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(blk + 32))), 16));
        return;
    default:  // TK_F32
        *lo = _mm512_loadu_ps((const float *)blk);
        *hi = _mm512_loadu_ps((const float *)blk + 16);
        return;
    }
}

/// Bytes holding 32 consecutive weights of a row.
static inline size_t bytes_per_32(int type) {
    switch (type) {
    case TK_F32: return 128;
    case TK_F16: case TK_BF16: return 64;
    default: return block_bytes(type);
    }
}

enum { TK_MAX_X = 4 };

/// Rows r0..<r1 against up to TK_MAX_X vectors at a time. Four rows per pass and software
/// prefetch a few blocks ahead keep enough loads in flight: decoding one token streams the
/// whole model through the cores once, so these loops are bound by memory, not arithmetic.
/// Each row's sum is accumulated in the same order whatever the grouping, so results don't
/// depend on how rows are split over threads.
enum { TK_PREFETCH_BYTES = 768 };

#define TK_ROWS_STEP(R)                                                                              \
    do {                                                                                             \
        const uint8_t *rows[R];                                                                      \
        __m512 acc[R][TK_MAX_X];                                                                     \
        for (int i = 0; i < R; i++) {                                                                \
            rows[i] = W + (size_t)(r + i) * row_bytes;                                               \
            for (int t = 0; t < TK_MAX_X; t++) acc[i][t] = _mm512_setzero_ps();                      \
        }                                                                                            \
        for (int b = 0; b < blocks; b++) {                                                           \
            __m512 lo[R], hi[R];                                                                     \
            for (int i = 0; i < R; i++) {                                                            \
                _mm_prefetch((const char *)(rows[i] + step * b + TK_PREFETCH_BYTES), _MM_HINT_T0);   \
                unpack_block(type, rows[i] + step * b, &lo[i], &hi[i]);                              \
            }                                                                                        \
            for (int t = 0; t < nt; t++) {                                                           \
                const float *x = X + (size_t)(t0 + t) * columns + 32 * b;                            \
                __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);                       \
                for (int i = 0; i < R; i++)                                                          \
                    acc[i][t] = _mm512_fmadd_ps(hi[i], x1, _mm512_fmadd_ps(lo[i], x0, acc[i][t]));   \
            }                                                                                        \
        }                                                                                            \
        for (int t = 0; t < nt; t++)                                                                 \
            for (int i = 0; i < R; i++) Y[(size_t)(t0 + t) * ldy + r + i] = _mm512_reduce_add_ps(acc[i][t]); \
    } while (0)

TK_AVX512 static void matmul_rows_avx512(int type, const uint8_t *W, size_t row_bytes, int r0, int r1,
                                         int columns, const float *X, int n, float *Y, int ldy) {
    const int blocks = columns / 32;
    const size_t step = bytes_per_32(type);
    for (int t0 = 0; t0 < n; t0 += TK_MAX_X) {
        const int nt = n - t0 < TK_MAX_X ? n - t0 : TK_MAX_X;
        int r = r0;
        for (; r + 3 < r1; r += 4) TK_ROWS_STEP(4);
        for (; r < r1; r++) TK_ROWS_STEP(1);
    }
}

/// K-quant rows: dequantize each row (portable code), then vector dot products with each x.
TK_AVX512 static void matmul_kquant_rows_avx512(int type, const uint8_t *W, size_t row_bytes, int r0, int r1,
                                                int columns, const float *X, int n, float *Y, int ldy) {
    float *row = malloc((size_t)columns * sizeof(float));
    for (int r = r0; r < r1; r++) {
        tk_dequantize_kquant_row(type, W + (size_t)r * row_bytes, columns, row);
        for (int t = 0; t < n; t++) {
            const float *x = X + (size_t)t * columns;
            __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
            for (int c = 0; c < columns; c += 32) {
                a0 = _mm512_fmadd_ps(_mm512_loadu_ps(row + c), _mm512_loadu_ps(x + c), a0);
                a1 = _mm512_fmadd_ps(_mm512_loadu_ps(row + c + 16), _mm512_loadu_ps(x + c + 16), a1);
            }
            Y[(size_t)t * ldy + r] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
        }
    }
    free(row);
}

TK_AVX512 static void dequantize_rows_avx512(int type, const uint8_t *W, size_t row_bytes, int r0,
                                             int count, int columns, float *dst) {
    const int blocks = columns / 32;
    const size_t step = bytes_per_32(type);
    for (int i = 0; i < count; i++) {
        const uint8_t *row = W + (size_t)(r0 + i) * row_bytes;
        float *out = dst + (size_t)i * columns;
        for (int b = 0; b < blocks; b++) {
            __m512 lo, hi;
            unpack_block(type, row + step * b, &lo, &hi);
            _mm512_storeu_ps(out + 32 * b, lo);
            _mm512_storeu_ps(out + 32 * b + 16, hi);
        }
    }
}
#endif

// MARK: - Dispatch

// Per thread, so a test that switches the vector kernels off doesn't affect others running
// concurrently; pool tasks carry the caller's choice to their workers.
static _Thread_local int vectorized_allowed = 1;

int tk_cpu_has_avx512(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2");
#else
    return 0;
#endif
}

int tk_cpu_has_avx2(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

void tk_set_vectorized(int enabled) { vectorized_allowed = enabled; }

int tk_vectorized(void) {
    static int has = -1;
    if (has < 0) has = tk_cpu_has_avx512();
    return vectorized_allowed && has;
}

/// Vector kernels need whole groups of 32 columns; every supported type's rows qualify when
/// `columns` is a multiple of 32.
static int use_vector_path(int vectorized, int columns) { return vectorized && columns % 32 == 0; }

void tk_matmul_rows_with(int vectorized, int type, const void *W, int row_begin, int row_end, int columns,
                         const float *X, int n, float *Y, int ldy) {
    size_t row_bytes = tk_row_bytes(type, columns);
    if (row_bytes == 0 || row_begin >= row_end || n <= 0) return;
#if defined(__x86_64__)
    if (use_vector_path(vectorized, columns) && (type == TK_Q4_1R || type == TK_Q8_0R)) {
        tk_matmul_repacked_avx512(type, W, row_bytes, row_begin, row_end, columns, X, n, Y, ldy);
        return;
    }
    if (use_vector_path(vectorized, columns) && (type == TK_Q4_K || type == TK_Q6_K)) {
        matmul_kquant_rows_avx512(type, W, row_bytes, row_begin, row_end, columns, X, n, Y, ldy);
        return;
    }
    if (use_vector_path(vectorized, columns)) {
        matmul_rows_avx512(type, W, row_bytes, row_begin, row_end, columns, X, n, Y, ldy);
        return;
    }
#endif
    matmul_rows_scalar(type, W, row_bytes, row_begin, row_end, columns, X, n, Y, ldy);
}

void tk_dequantize_rows(int type, const void *W, int row_begin, int row_count, int columns, float *dst) {
    size_t row_bytes = tk_row_bytes(type, columns);
    if (row_bytes == 0) return;
#if defined(__x86_64__)
    if (use_vector_path(tk_vectorized(), columns) && (type == TK_Q4_1R || type == TK_Q8_0R)) {
        tk_dequantize_repacked_avx512(type, W, row_bytes, row_begin, row_count, columns, dst);
        return;
    }
    if (use_vector_path(tk_vectorized(), columns) && type != TK_Q4_K && type != TK_Q6_K) {
        dequantize_rows_avx512(type, W, row_bytes, row_begin, row_count, columns, dst);
        return;
    }
#endif
    for (int i = 0; i < row_count; i++)
        dequantize_row_scalar(type, (const uint8_t *)W + (size_t)(row_begin + i) * row_bytes, columns,
                              dst + (size_t)i * columns);
}

typedef struct {
    int vectorized;
    int type;
    const void *W;
    int rows, columns;
    const float *X;
    int n;
    float *Y;
    int ldy;
} matmul_task;

static void matmul_task_run(void *raw, int ith, int nth) {
    matmul_task *task = raw;
    // Split rows into nth slices rounded to multiples of 16 so slices don't share cache lines of Y.
    int per = ((task->rows + nth - 1) / nth + 15) & ~15;
    int begin = ith * per, end = begin + per;
    if (end > task->rows) end = task->rows;
    if (begin < end)
        tk_matmul_rows_with(task->vectorized, task->type, task->W, begin, end, task->columns, task->X, task->n, task->Y, task->ldy);
}

void tk_matmul(tk_pool *pool, int type, const void *W, int rows, int columns,
               const float *X, int n, float *Y, int ldy) {
    matmul_task task = {tk_vectorized(), type, W, rows, columns, X, n, Y, ldy};
    // Tiny products are not worth waking a worker.
    if ((size_t)rows * (size_t)columns * (size_t)n < 32768) {
        matmul_task_run(&task, 0, 1);
        return;
    }
    tk_pool_run(pool, matmul_task_run, &task);
}
