// Declarations shared between the kernel files; not part of the public header.
#pragma once
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#define TK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,f16c,fma,avx2")))
/// Rows r0..<r1 of a repacked matrix (TK_Q4_1R, TK_Q8_0R) times up to n vectors, AVX-512.
void tk_matmul_repacked_avx512(int type, const uint8_t *W, size_t row_bytes, int r0, int r1, int columns,
                               const float *X, int n, float *Y, int ldy);
/// Dequantizes rows of a repacked matrix, AVX-512.
void tk_dequantize_repacked_avx512(int type, const uint8_t *W, size_t row_bytes, int r0, int count,
                                   int columns, float *dst);
#endif

/// Rows [begin, end) of W · X on the calling thread with the caller's choice of kernels.
void tk_matmul_rows_with(int vectorized, int type, const void *W, int row_begin, int row_end, int columns,
                         const float *X, int n, float *Y, int ldy);

/// One row of Q4_K or Q6_K (`columns` a multiple of 256) as f32.
void tk_dequantize_kquant_row(int type, const uint8_t *row, int columns, float *out);
