// TensorKernels: the inner loops of finetune's CPU engine.
//
// Everything here works on plain float buffers and on GGML-quantized weight rows in place (the
// bytes of a memory-mapped GGUF file), so a model is never dequantized as a whole. Each kernel has a
// portable C version and, where the CPU has AVX-512, a vectorized one chosen at run time; tests
// compare the two. Shapes are given in each comment as [rows][columns], row-major.
//
// Written in C rather than Swift because the kernels need AVX-512 intrinsics selected per function
// at run time (`__attribute__((target))`), which Swift cannot express.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - CPU

/// 1 when the AVX-512 kernels (F, BW, VL, F16C, FMA) run on this CPU.
int tk_cpu_has_avx512(void);
/// 1 when the CPU has AVX2 and FMA.
int tk_cpu_has_avx2(void);
/// Forces the portable kernels (0) or allows the vectorized ones (1) for kernels called from this
/// thread (including the pool work they start). For tests.
void tk_set_vectorized(int enabled);
int tk_vectorized(void);

// MARK: - Thread pool

/// A fixed set of worker threads that run one task at a time; the caller is thread 0.
/// Workers spin briefly between tasks (decode issues hundreds of small tasks per token), then sleep.
typedef struct tk_pool tk_pool;
typedef void (*tk_task_fn)(void *context, int thread_index, int thread_count);

tk_pool *tk_pool_create(int thread_count);
void tk_pool_destroy(tk_pool *pool);
int tk_pool_thread_count(const tk_pool *pool);
/// Runs `fn(context, i, n)` for i in 0..<n on the pool's n threads and returns when all are done.
/// `pool` may be NULL: then fn runs once on the caller with n = 1.
void tk_pool_run(tk_pool *pool, tk_task_fn fn, void *context);

// MARK: - Weight types (GGML numbering)

enum {
    TK_F32 = 0, TK_F16 = 1, TK_Q4_0 = 2, TK_Q4_1 = 3, TK_Q5_0 = 6, TK_Q5_1 = 7, TK_Q8_0 = 8, TK_Q4_K = 12,
    TK_Q6_K = 14, TK_BF16 = 30,
    /// Decode layouts made by `tk_repack` (not GGML types): the same bytes with each row's f16
    /// scales gathered apart from the quants, so a row's scales convert to f32 in a few wide
    /// instructions and the quants stream contiguously. Same size as the GGML layout.
    /// Q4_1R row: d[nb] f16, m[nb] f16, then 16 bytes of nibbles per block (Q4_1's order).
    /// Q8_0R row: d[nb] f16, then 32 int8 per block.
    TK_Q4_1R = 1003, TK_Q8_0R = 1008,
};

/// 1 if the kernels below handle weights of this GGML type.
int tk_type_supported(int type);
/// Bytes of one row of `columns` elements, or 0 if unsupported / not a whole number of blocks.
size_t tk_row_bytes(int type, int columns);

/// Y[t][r] = sum_c W[r][c] * X[t][c] for t < n, r < rows.
/// W: [rows][columns] of `type` (rows are `tk_row_bytes` apart), X: [n][columns] f32,
/// Y: [n][ldy] f32 (only the first `rows` of each row are written). Splits rows over the pool.
void tk_matmul(tk_pool *pool, int type, const void *W, int rows, int columns,
               const float *X, int n, float *Y, int ldy);

/// The decode layout for `type` (TK_Q4_1R for TK_Q4_1, TK_Q8_0R for TK_Q8_0), or -1 if none.
int tk_repacked_type(int type);

/// Rewrites `rows` rows of `type` from `src` into the decode layout at `dst`, which must hold
/// rows * tk_row_bytes(tk_repacked_type(type), columns) bytes. Values are unchanged.
/// Returns the new type, or -1 when `type` has no decode layout.
int tk_repack(int type, const void *src, int rows, int columns, void *dst);

/// Several products of the same input: Y_k = W_k · X for k < count, in one pool task.
/// Each W_k is [rows[k]][columns] of types[k]; Y_k is [n][ldy[k]].
void tk_matmul_many(tk_pool *pool, int count, const int *types, const void *const *W, const int *rows,
                    int columns, const float *X, int n, float *const *Y, const int *ldy);

/// The SwiGLU hidden layer in one pool task: out = silu(Wg · X) ⊙ (Wu · X).
/// Wg, Wu: [rows][columns]; X: [n][columns]; out, scratch: [n][rows].
void tk_swiglu(tk_pool *pool, int type_gate, const void *Wg, int type_up, const void *Wu, int rows,
               int columns, const float *X, int n, float *out, float *scratch);

/// dst[i][c] = W[row_begin + i][c] as f32 for i < row_count. dst: [row_count][columns].
void tk_dequantize_rows(int type, const void *W, int row_begin, int row_count, int columns,
                        float *dst);

// MARK: - Elementwise and normalisation

/// y[t] = x[t] / sqrt(mean(x[t]^2) + eps) * weight, for t < n. x, y: [n][dim] (may alias).
void tk_rms_norm(const float *x, const float *weight, int n, int dim, float eps, float *y);

/// gate[i] = silu(gate[i]) * up[i] for i < count, silu(x) = x / (1 + exp(-x)).
void tk_silu_mul(tk_pool *pool, float *gate, const float *up, size_t count);

/// x[i] += y[i] for i < count.
void tk_add(float *x, const float *y, size_t count);

/// Rotary position embedding, GGML "normal" mode (adjacent pairs (x[2i], x[2i+1]) rotate by
/// angle pos * base^(-2i/rot_dim)), applied to the first `rot_dim` values of each head.
/// x: [n][heads][head_dim]; cos_table, sin_table: [n][rot_dim / 2] (angles precomputed per token).
void tk_rope(float *x, int n, int heads, int head_dim, int rot_dim,
             const float *cos_table, const float *sin_table);

/// Causal grouped-query attention for `n` new tokens at positions start..<start+n.
/// q: [n][heads][head_dim]; k_cache, v_cache: [>= start+n][kv_heads][head_dim] (the new tokens'
/// keys and values already written); out: [n][heads][head_dim]. Query head h reads KV head
/// h / (heads / kv_heads). Scores are scaled by `scale`; token t attends to positions 0...start+t.
void tk_attention(tk_pool *pool, const float *q, int n, int heads, int kv_heads, int head_dim,
                  const float *k_cache, const float *v_cache, int start, float scale, float *out);

/// Half-precision conversions (IEEE binary16, round to nearest even).
float tk_f16_to_f32(uint16_t h);
uint16_t tk_f32_to_f16(float f);

#ifdef __cplusplus
}
#endif

#include "TensorKernelsTraining.h"
#include "TensorKernelsBF16.h"
