// Declarations shared between the kernel files; not part of the public header.
#pragma once
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#include <immintrin.h>
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

#if defined(__x86_64__)
/// exp(x) for 16 floats: x = k ln2 + r with |r| <= ln2/2, a degree-6 polynomial for e^r, then
/// scaling by 2^k. Relative error about 2e-7 over the float range; -inf gives 0.
TK_AVX512 static inline __m512 exp512(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-103.0f));
    x = _mm512_min_ps(x, _mm512_set1_ps(88.7f));
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(1.428606765330187045e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, k);
}
#endif
