// bf16 matrix products for training: C = A · B with B a frozen weight packed once in bf16 and A
// (activations or gradients) rounded to bf16 while it is packed, products summed in f32.
// Included at the end of TensorKernels.h; see bf16gemm.c for the layouts and the blocking.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tk_pool tk_pool;

/// 1 when the CPU runs the native bf16 kernels (AVX-512 F/BW/VL/DQ and AVX512_BF16).
int tk_cpu_has_avx512_bf16(void);

/// `f` rounded to bf16, to nearest even, exactly as the AVX512_BF16 conversion instructions do:
/// subnormal inputs become a zero of the same sign, NaN stays a (quiet) NaN.
uint16_t tk_f32_to_bf16(float f);
float tk_bf16_to_f32(uint16_t b);

/// dst[i] = tk_f32_to_bf16(src[i]) for i < count, vectorized when allowed (same bits either way).
void tk_bf16_convert(const float *src, size_t count, uint16_t *dst);

/// Columns of B in one packed strip.
enum { TK_BF16_STRIP = 32 };

/// uint16 elements of a packed B with `kdim` rows (the summed dimension) and `ndim` columns:
/// ceil(ndim / TK_BF16_STRIP) strips, each [ceil(kdim / 2)][TK_BF16_STRIP][2]: element
/// (strip s, pair p, column j, half h) is B[2p + h][s * TK_BF16_STRIP + j], zero beyond B.
size_t tk_bf16_packed_count(int kdim, int ndim);

/// Packs rows [row_begin, row_begin + row_count) of a weight W [rows][columns], given in f32 as
/// src: [row_count][columns], into the layouts of both products:
/// forward (B = Wᵀ: kdim = columns, ndim = rows; for y = x · Wᵀ) and
/// backward (B = W: kdim = rows, ndim = columns; for dx = dy · W). Either output may be NULL.
/// row_begin must be a multiple of TK_BF16_STRIP, and row_count too unless the chunk ends at
/// `rows`; chunks then write disjoint elements (padding included) and may run on any threads.
void tk_bf16_pack_weight_rows(const float *src, int row_begin, int row_count, int rows, int columns,
                              uint16_t *forward, uint16_t *backward);

/// C[i][j] = Σ_k bf16(A[i][k]) · B[k][j] (+ C[i][j] when `accumulate`), for i < m, j < ndim.
/// A: [m][lda] f32 (first kdim columns read); B: packed (tk_bf16_packed_count(kdim, ndim));
/// C: [m][ldc] f32 (first ndim columns written). Splits the work over the pool; every element is
/// computed in the same order whatever the thread count, so results don't depend on it.
void tk_bf16_gemm(tk_pool *pool, int m, int ndim, int kdim, const float *A, int lda, const uint16_t *B,
                  float *C, int ldc, int accumulate);

#ifdef __cplusplus
}
#endif
