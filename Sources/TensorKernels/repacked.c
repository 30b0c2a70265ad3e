// Decode layouts: Q4_1 and Q8_0 weights rewritten once at load time with each row's f16 scales
// gathered apart from the quants (see TK_Q4_1R / TK_Q8_0R in TensorKernels.h).
//
// Decoding one token multiplies every weight once by a single vector, so the inner loop's cost
// per block decides the speed. In GGML's own layout each block starts with f16 scales that must
// be converted one by one; here a row's scales convert 16 at a time into a small f32 array
// before its blocks are read (f16 stays in memory: decoding is bound by bytes read), nibbles become floats
// with one table lookup (vpermps on the low 4 bits), and Q4_1's offset term m·Σx is taken out of
// the loop: Σ (d·q + m)·x = d·Σ q·x + m·Σ x, with Σ x per block computed once per vector.
#include "TensorKernels.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

int tk_repacked_type(int type) {
    switch (type) {
    case TK_Q4_1: return TK_Q4_1R;
    case TK_Q8_0: return TK_Q8_0R;
    default: return -1;
    }
}

int tk_repack(int type, const void *src, int rows, int columns, void *dst) {
    int repacked = tk_repacked_type(type);
    if (repacked < 0 || columns % 32 != 0) return -1;
    const int nb = columns / 32;
    const size_t in_bytes = tk_row_bytes(type, columns), out_bytes = tk_row_bytes(repacked, columns);
    for (int r = 0; r < rows; r++) {
        const uint8_t *in = (const uint8_t *)src + (size_t)r * in_bytes;
        uint8_t *out = (uint8_t *)dst + (size_t)r * out_bytes;
        if (type == TK_Q4_1) {  // d[nb], m[nb], nibbles
            uint8_t *q = out + 4 * nb;
            for (int b = 0; b < nb; b++) {
                memcpy(out + 2 * b, in + 20 * b, 2);
                memcpy(out + 2 * (nb + b), in + 20 * b + 2, 2);
                memcpy(q + 16 * b, in + 20 * b + 4, 16);
            }
        } else {  // d[nb], int8
            uint8_t *q = out + 2 * nb;
            for (int b = 0; b < nb; b++) {
                memcpy(out + 2 * b, in + 34 * b, 2);
                memcpy(q + 32 * b, in + 34 * b + 2, 32);
            }
        }
    }
    return repacked;
}

#if defined(__x86_64__)
enum { TK_RX = 4 };  // vectors of x per pass

/// Σ x over each block of 32, for Q4_1R's offset term. sums: [nb].
TK_AVX512 static void block_sums(const float *x, int nb, float *sums) {
    for (int b = 0; b < nb; b++)
        sums[b] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_loadu_ps(x + 32 * b), _mm512_loadu_ps(x + 32 * b + 16)));
}

/// f16 scales → f32: out[i] = half(in[i]) for i < count.
TK_AVX512 static inline void scales_to_f32(const uint8_t *in, int count, float *out) {
    int i = 0;
    for (; i + 16 <= count; i += 16)
        _mm512_storeu_ps(out + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(in + 2 * i))));
    for (; i < count; i++) {
        uint16_t h;
        memcpy(&h, in + 2 * i, 2);
        out[i] = _cvtsh_ss(h);
    }
}

/// Σ_b a[b]·c[b].
TK_AVX512 static float dot(const float *a, const float *c, int count) {
    __m512 acc = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= count; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(c + i), acc);
    float sum = _mm512_reduce_add_ps(acc);
    for (; i < count; i++) sum += a[i] * c[i];
    return sum;
}

#define TK_Q4R_ROWS(R)                                                                                  \
    do {                                                                                                \
        float *d[R], *m[R];                                                                             \
        const uint8_t *q[R];                                                                            \
        __m512 acc[R][TK_RX];                                                                           \
        for (int i = 0; i < R; i++) {                                                                   \
            const uint8_t *row = W + (size_t)(r + i) * row_bytes;                                       \
            d[i] = scales + (size_t)(2 * i) * nb;                                                       \
            m[i] = d[i] + nb;                                                                           \
            scales_to_f32(row, 2 * nb, d[i]);                                                           \
            q[i] = row + 4 * nb;                                                                        \
            for (int t = 0; t < TK_RX; t++) acc[i][t] = _mm512_setzero_ps();                            \
        }                                                                                               \
        for (int b = 0; b < nb; b++) {                                                                  \
            __m512 lo[R], hi[R];                                                                        \
            for (int i = 0; i < R; i++) {                                                               \
                __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(q[i] + 16 * b)));   \
                lo[i] = _mm512_permutexvar_ps(v, table);                                                \
                hi[i] = _mm512_permutexvar_ps(_mm512_srli_epi32(v, 4), table);                          \
            }                                                                                           \
            for (int t = 0; t < nt; t++) {                                                              \
                const float *x = X + (size_t)(t0 + t) * columns + 32 * b;                               \
                __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);                          \
                for (int i = 0; i < R; i++) {                                                           \
                    __m512 s = _mm512_fmadd_ps(hi[i], x1, _mm512_mul_ps(lo[i], x0));                    \
                    acc[i][t] = _mm512_fmadd_ps(s, _mm512_set1_ps(d[i][b]), acc[i][t]);                 \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        for (int t = 0; t < nt; t++)                                                                    \
            for (int i = 0; i < R; i++)                                                                 \
                Y[(size_t)(t0 + t) * ldy + r + i] = _mm512_reduce_add_ps(acc[i][t]) + dot(m[i], sums + t * nb, nb); \
    } while (0)

#define TK_Q8R_ROWS(R)                                                                                  \
    do {                                                                                                \
        float *d[R];                                                                                    \
        const int8_t *q[R];                                                                             \
        __m512 acc[R][TK_RX];                                                                           \
        for (int i = 0; i < R; i++) {                                                                   \
            const uint8_t *row = W + (size_t)(r + i) * row_bytes;                                       \
            d[i] = scales + (size_t)i * nb;                                                             \
            scales_to_f32(row, nb, d[i]);                                                               \
            q[i] = (const int8_t *)(row + 2 * nb);                                                      \
            for (int t = 0; t < TK_RX; t++) acc[i][t] = _mm512_setzero_ps();                            \
        }                                                                                               \
        for (int b = 0; b < nb; b++) {                                                                  \
            __m512 lo[R], hi[R];                                                                        \
            for (int i = 0; i < R; i++) {                                                               \
                lo[i] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(q[i] + 32 * b)))); \
                hi[i] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(q[i] + 32 * b + 16)))); \
            }                                                                                           \
            for (int t = 0; t < nt; t++) {                                                              \
                const float *x = X + (size_t)(t0 + t) * columns + 32 * b;                               \
                __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);                          \
                for (int i = 0; i < R; i++) {                                                           \
                    __m512 s = _mm512_fmadd_ps(hi[i], x1, _mm512_mul_ps(lo[i], x0));                    \
                    acc[i][t] = _mm512_fmadd_ps(s, _mm512_set1_ps(d[i][b]), acc[i][t]);                 \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        for (int t = 0; t < nt; t++)                                                                    \
            for (int i = 0; i < R; i++) Y[(size_t)(t0 + t) * ldy + r + i] = _mm512_reduce_add_ps(acc[i][t]); \
    } while (0)

TK_AVX512 void tk_matmul_repacked_avx512(int type, const uint8_t *W, size_t row_bytes, int r0, int r1, int columns,
                                         const float *X, int n, float *Y, int ldy) {
    const int nb = columns / 32;
    const __m512 table = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    // Per pass: Σx per block for each vector (Q4_1R), and the f32 scales of 4 rows.
    float small[TK_RX * 64 + 16 * 64];
    const size_t need = (size_t)(TK_RX + 16) * nb;
    float *scratch = need <= sizeof(small) / sizeof(float) ? small : malloc(sizeof(float) * need);
    float *sums = scratch, *scales = scratch + TK_RX * nb;
    for (int t0 = 0; t0 < n; t0 += TK_RX) {
        const int nt = n - t0 < TK_RX ? n - t0 : TK_RX;
        if (type == TK_Q4_1R)
            for (int t = 0; t < nt; t++) block_sums(X + (size_t)(t0 + t) * columns, nb, sums + t * nb);
        int r = r0;
        if (type == TK_Q4_1R) {
            if (nt == 1)
                for (; r + 7 < r1; r += 8) TK_Q4R_ROWS(8);
            for (; r + 3 < r1; r += 4) TK_Q4R_ROWS(4);
            for (; r < r1; r++) TK_Q4R_ROWS(1);
        } else {
            if (nt == 1)
                for (; r + 7 < r1; r += 8) TK_Q8R_ROWS(8);
            for (; r + 3 < r1; r += 4) TK_Q8R_ROWS(4);
            for (; r < r1; r++) TK_Q8R_ROWS(1);
        }
    }
    if (scratch != small) free(scratch);
}

TK_AVX512 void tk_dequantize_repacked_avx512(int type, const uint8_t *W, size_t row_bytes, int r0, int count,
                                             int columns, float *dst) {
    const int nb = columns / 32;
    const __m512 table = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    float small[2 * 64];
    float *d = 2 * nb <= 128 ? small : malloc(sizeof(float) * 2 * nb);
    for (int i = 0; i < count; i++) {
        const uint8_t *row = W + (size_t)(r0 + i) * row_bytes;
        float *out = dst + (size_t)i * columns;
        scales_to_f32(row, type == TK_Q4_1R ? 2 * nb : nb, d);
        if (type == TK_Q4_1R) {
            const float *m = d + nb;
            const uint8_t *q = row + 4 * nb;
            for (int b = 0; b < nb; b++) {
                __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(q + 16 * b)));
                __m512 vd = _mm512_set1_ps(d[b]), vm = _mm512_set1_ps(m[b]);
                _mm512_storeu_ps(out + 32 * b, _mm512_fmadd_ps(_mm512_permutexvar_ps(v, table), vd, vm));
                _mm512_storeu_ps(out + 32 * b + 16, _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v, 4), table), vd, vm));
            }
        } else {
            const int8_t *q = (const int8_t *)(row + 2 * nb);
            for (int b = 0; b < nb; b++) {
                __m512 vd = _mm512_set1_ps(d[b]);
                _mm512_storeu_ps(out + 32 * b, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(q + 32 * b)))), vd));
                _mm512_storeu_ps(out + 32 * b + 16, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(q + 32 * b + 16)))), vd));
            }
        }
    }
    if (d != small) free(d);
}
#endif

// MARK: - Fused products

typedef struct {
    int vectorized, count, columns, n;
    const int *types, *rows, *ldy;
    const void *const *W;
    const float *X;
    float *const *Y;
    int total_rows;
} many_task;

/// Splits the concatenated rows of all products evenly over the threads.
static void many_task_run(void *raw, int ith, int nth) {
    many_task *task = raw;
    int per = ((task->total_rows + nth - 1) / nth + 15) & ~15;
    int begin = ith * per, end = begin + per < task->total_rows ? begin + per : task->total_rows;
    int offset = 0;
    for (int k = 0; k < task->count && begin < end; k++) {
        int lo = begin - offset, hi = end - offset;
        if (lo < 0) lo = 0;
        if (hi > task->rows[k]) hi = task->rows[k];
        if (lo < hi)
            tk_matmul_rows_with(task->vectorized, task->types[k], task->W[k], lo, hi, task->columns, task->X,
                                task->n, task->Y[k], task->ldy[k]);
        offset += task->rows[k];
    }
}

void tk_matmul_many(tk_pool *pool, int count, const int *types, const void *const *W, const int *rows,
                    int columns, const float *X, int n, float *const *Y, const int *ldy) {
    many_task task = {tk_vectorized(), count, columns, n, types, rows, ldy, W, X, Y, 0};
    for (int k = 0; k < count; k++) task.total_rows += rows[k];
    tk_pool_run(pool, many_task_run, &task);
}

typedef struct {
    int vectorized, type_gate, type_up, rows, columns, n;
    const void *Wg, *Wu;
    const float *X;
    float *out, *scratch;
} swiglu_task;

static void swiglu_task_run(void *raw, int ith, int nth) {
    swiglu_task *task = raw;
    int per = ((task->rows + nth - 1) / nth + 15) & ~15;
    int begin = ith * per, end = begin + per < task->rows ? begin + per : task->rows;
    if (begin >= end) return;
    tk_matmul_rows_with(task->vectorized, task->type_gate, task->Wg, begin, end, task->columns, task->X, task->n, task->out, task->rows);
    tk_matmul_rows_with(task->vectorized, task->type_up, task->Wu, begin, end, task->columns, task->X, task->n, task->scratch, task->rows);
    for (int t = 0; t < task->n; t++) {
        float *g = task->out + (size_t)t * task->rows;
        const float *u = task->scratch + (size_t)t * task->rows;
        for (int r = begin; r < end; r++) g[r] = g[r] / (1.0f + expf(-g[r])) * u[r];
    }
}

void tk_swiglu(tk_pool *pool, int type_gate, const void *Wg, int type_up, const void *Wu, int rows,
               int columns, const float *X, int n, float *out, float *scratch) {
    swiglu_task task = {tk_vectorized(), type_gate, type_up, rows, columns, n, Wg, Wu, X, out, scratch};
    tk_pool_run(pool, swiglu_task_run, &task);
}
